namespace MeshPorts.WireGuard;

/// <summary>Lock-free counters for diagnostics and tests. Every dropped datagram is counted once by reason.</summary>
public sealed class EngineCounters
{
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];
    private long _handshakesCompleted;
    private long _initiationsSent;
    private long _responsesSent;
    private long _cookieRepliesSent;
    private long _cookieRepliesAccepted;
    private long _keepalivesSent;

    public long Drops(DropReason reason) => Interlocked.Read(ref _drops[(int)reason]);

    public long TotalDrops
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _drops.Length; i++)
            {
                sum += Interlocked.Read(ref _drops[i]);
            }

            return sum;
        }
    }

    /// <summary>Sessions derived, on either side (initiator on the response, responder on sending it).</summary>
    public long HandshakesCompleted => Interlocked.Read(ref _handshakesCompleted);

    public long InitiationsSent => Interlocked.Read(ref _initiationsSent);

    public long ResponsesSent => Interlocked.Read(ref _responsesSent);

    public long CookieRepliesSent => Interlocked.Read(ref _cookieRepliesSent);

    public long CookieRepliesAccepted => Interlocked.Read(ref _cookieRepliesAccepted);

    public long KeepalivesSent => Interlocked.Read(ref _keepalivesSent);

    internal void CountDrop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);

    internal void CountHandshakeCompleted() => Interlocked.Increment(ref _handshakesCompleted);

    internal void CountInitiationSent() => Interlocked.Increment(ref _initiationsSent);

    internal void CountResponseSent() => Interlocked.Increment(ref _responsesSent);

    internal void CountCookieReplySent() => Interlocked.Increment(ref _cookieRepliesSent);

    internal void CountCookieReplyAccepted() => Interlocked.Increment(ref _cookieRepliesAccepted);

    internal void CountKeepaliveSent() => Interlocked.Increment(ref _keepalivesSent);
}
