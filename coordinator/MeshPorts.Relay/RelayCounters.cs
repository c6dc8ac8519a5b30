namespace MeshPorts.Relay;

/// <summary>
/// The relay's counters (docs/nat.md, Counters), updated lock-free and readable by any exporter through
/// <see cref="Snapshot"/>; <see cref="RelayMetricsText"/> renders them for Prometheus.
/// </summary>
public sealed class RelayCounters
{
    private readonly long[] _datagrams = new long[2];
    private readonly long[] _bytes = new long[2];
    private readonly long[] _drops = new long[Enum.GetValues<RelayDropReason>().Length];
    private long _sessionsOpened;
    private long _sessionsActive;

    internal void Forwarded(RelayTransport transport, int bytes)
    {
        Interlocked.Increment(ref _datagrams[(int)transport]);
        Interlocked.Add(ref _bytes[(int)transport], bytes);
    }

    internal void Dropped(RelayDropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);

    internal void SessionOpened()
    {
        Interlocked.Increment(ref _sessionsOpened);
        Interlocked.Increment(ref _sessionsActive);
    }

    internal void SessionClosed() => Interlocked.Decrement(ref _sessionsActive);

    public long ForwardedDatagrams(RelayTransport transport) => Interlocked.Read(ref _datagrams[(int)transport]);

    public long ForwardedBytes(RelayTransport transport) => Interlocked.Read(ref _bytes[(int)transport]);

    public long Drops(RelayDropReason reason) => Interlocked.Read(ref _drops[(int)reason]);

    public long SessionsOpened => Interlocked.Read(ref _sessionsOpened);

    public long SessionsActive => Interlocked.Read(ref _sessionsActive);

    public RelayCounterSnapshot Snapshot() => new(
        ForwardedDatagrams(RelayTransport.Udp),
        ForwardedBytes(RelayTransport.Udp),
        ForwardedDatagrams(RelayTransport.Tls),
        ForwardedBytes(RelayTransport.Tls),
        Enum.GetValues<RelayDropReason>().ToDictionary(r => r, Drops),
        SessionsOpened,
        SessionsActive);
}
