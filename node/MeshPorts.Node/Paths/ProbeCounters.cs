namespace MeshPorts.Node.Paths;

/// <summary>What the path manager's probes did, for status; every field only grows.</summary>
internal sealed class ProbeCounters
{
    private long _pingsSent;
    private long _pongsSent;
    private long _pingsReceived;
    private long _pongsReceived;
    private long _malformed;
    private long _unknownSender;
    private long _badTag;
    private long _stale;
    private long _replay;
    private long _unsolicited;
    private long _flood;
    private long _refusedTargets;
    private long _callMeIgnored;

    public long PingsSent => Interlocked.Read(ref _pingsSent);

    public long PongsSent => Interlocked.Read(ref _pongsSent);

    public long PingsReceived => Interlocked.Read(ref _pingsReceived);

    public long PongsReceived => Interlocked.Read(ref _pongsReceived);

    /// <summary>Wrong size, marker or version, or authentic but not a probe this version sends.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>The sender key is no current peer's current or previous key.</summary>
    public long UnknownSender => Interlocked.Read(ref _unknownSender);

    public long BadTag => Interlocked.Read(ref _badTag);

    /// <summary>Sender time more than 60 s from this node's clock.</summary>
    public long Stale => Interlocked.Read(ref _stale);

    /// <summary>A transaction id already seen from that peer.</summary>
    public long Replay => Interlocked.Read(ref _replay);

    /// <summary>A pong for no ping in flight, or from another address than the ping went to.</summary>
    public long Unsolicited => Interlocked.Read(ref _unsolicited);

    /// <summary>More probes from one peer than its replay cache holds.</summary>
    public long Flood => Interlocked.Read(ref _flood);

    /// <summary>Candidates (or ping sources) that are no allowed probe target: virtual, multicast, unspecified.</summary>
    public long RefusedTargets => Interlocked.Read(ref _refusedTargets);

    /// <summary>call_me events from a node that is not a current peer.</summary>
    public long CallMeIgnored => Interlocked.Read(ref _callMeIgnored);

    public long Dropped => Malformed + UnknownSender + BadTag + Stale + Replay + Unsolicited + Flood;

    internal void PingSent() => Interlocked.Increment(ref _pingsSent);

    internal void PongSent() => Interlocked.Increment(ref _pongsSent);

    internal void PingReceived() => Interlocked.Increment(ref _pingsReceived);

    internal void PongReceived() => Interlocked.Increment(ref _pongsReceived);

    internal void DropMalformed() => Interlocked.Increment(ref _malformed);

    internal void DropUnknownSender() => Interlocked.Increment(ref _unknownSender);

    internal void DropBadTag() => Interlocked.Increment(ref _badTag);

    internal void DropStale() => Interlocked.Increment(ref _stale);

    internal void DropReplay() => Interlocked.Increment(ref _replay);

    internal void DropUnsolicited() => Interlocked.Increment(ref _unsolicited);

    internal void DropFlood() => Interlocked.Increment(ref _flood);

    internal void RefuseTarget() => Interlocked.Increment(ref _refusedTargets);

    internal void IgnoreCallMe() => Interlocked.Increment(ref _callMeIgnored);
}
