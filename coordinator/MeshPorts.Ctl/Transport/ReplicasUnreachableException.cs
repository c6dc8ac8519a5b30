namespace MeshPorts.Ctl.Transport;

/// <summary>No replica in meshctl.conf accepted a connection; the message names each one and why.</summary>
internal sealed class ReplicasUnreachableException : IOException
{
    public ReplicasUnreachableException(IReadOnlyList<string> failures)
        : base(string.Join("; ", failures))
    {
        Failures = failures;
    }

    public ReplicasUnreachableException()
    {
        Failures = [];
    }

    public ReplicasUnreachableException(string message)
        : base(message)
    {
        Failures = [message];
    }

    public ReplicasUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
        Failures = [message];
    }

    /// <summary>One "URL: reason" per replica tried, in order.</summary>
    public IReadOnlyList<string> Failures { get; }
}
