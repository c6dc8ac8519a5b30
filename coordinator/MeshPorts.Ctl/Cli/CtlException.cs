namespace MeshPorts.Ctl.Cli;

/// <summary>The operation failed (config, connection, server refusal); the message names the fix. Exit code 1.</summary>
internal sealed class CtlException : Exception
{
    public CtlException()
        : this("operation failed")
    {
    }

    public CtlException(string message)
        : base(message)
    {
    }

    public CtlException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
