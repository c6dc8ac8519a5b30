namespace MeshPorts.Contracts.Cli;

/// <summary>
/// The command line is wrong; the message names the fix. Every MeshPorts program (meshctl,
/// meshports-coordinator, meshports-node) prints the message alone, without a stack trace, and exits 2.
/// </summary>
public sealed class UsageException : Exception
{
    public UsageException()
        : this("invalid usage; run the command with --help")
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
