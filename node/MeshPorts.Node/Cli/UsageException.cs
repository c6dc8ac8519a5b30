namespace MeshPorts.Node.Cli;

/// <summary>Bad command-line input; the message names the fix. Exits with code 2.</summary>
internal sealed class UsageException(string message) : Exception(message)
{
    public UsageException()
        : this("invalid usage")
    {
    }

    public UsageException(string message, Exception inner)
        : this(message + " (" + inner.Message + ")")
    {
    }
}
