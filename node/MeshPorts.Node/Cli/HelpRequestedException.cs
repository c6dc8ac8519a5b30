namespace MeshPorts.Node.Cli;

/// <summary>The user asked for a command's help text; it is printed to stdout and the exit code is 0.</summary>
internal sealed class HelpRequestedException(string message) : Exception(message)
{
    public HelpRequestedException()
        : this("")
    {
    }

    public HelpRequestedException(string message, Exception inner)
        : this(message + inner.Message)
    {
    }
}
