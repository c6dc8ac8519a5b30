namespace MeshPorts.Ctl.Cli;

/// <summary>The command line is wrong; the message names the fix. meshctl exits with 2.</summary>
internal sealed class UsageException : Exception
{
    public UsageException()
        : this("invalid usage; run 'meshctl --help'")
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
