namespace MeshPorts.Coordinator.Cli;

/// <summary>Bad command line: the process prints the message and exits 2.</summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException()
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
