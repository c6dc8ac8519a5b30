namespace MeshPorts.Node.Names;

/// <summary>What the name server did, for status and metrics; every field only grows. Thread-safe.</summary>
internal sealed class NameCounters
{
    private long _answered;
    private long _nameErrors;
    private long _forwarded;
    private long _forwardFailed;
    private long _refused;
    private long _malformed;
    private long _notOverlay;

    /// <summary>Queries for a name under the suffix that got its addresses (or NODATA for another type).</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Queries under the suffix answered NXDOMAIN: no such peer, or one this node may not see.</summary>
    public long NameErrors => Interlocked.Read(ref _nameErrors);

    /// <summary>Queries for other names sent on to the host's resolvers and answered from there.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Forwarded queries no upstream answered in time (answered SERVFAIL).</summary>
    public long ForwardFailed => Interlocked.Read(ref _forwardFailed);

    /// <summary>Queries answered REFUSED: a peer asking for a name outside the suffix (the node resolves nothing else for peers).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Datagrams dropped unanswered: not a DNS query the wire format allows (the <c>dns-malformed</c> drop reason).</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Datagrams dropped because they arrived on neither the overlay interface nor loopback.</summary>
    public long NotOverlay => Interlocked.Read(ref _notOverlay);

    public void CountAnswered() => Interlocked.Increment(ref _answered);

    public void CountNameError() => Interlocked.Increment(ref _nameErrors);

    public void CountForwarded() => Interlocked.Increment(ref _forwarded);

    public void CountForwardFailed() => Interlocked.Increment(ref _forwardFailed);

    public void CountRefused() => Interlocked.Increment(ref _refused);

    public void CountMalformed() => Interlocked.Increment(ref _malformed);

    public void CountNotOverlay() => Interlocked.Increment(ref _notOverlay);
}
