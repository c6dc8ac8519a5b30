namespace MeshPorts.Relay;

/// <summary>The relay's counters at one moment, for an exporter. Bytes are payload bytes (WireGuard messages).</summary>
public sealed record RelayCounterSnapshot(
    long UdpDatagrams,
    long UdpBytes,
    long TlsDatagrams,
    long TlsBytes,
    IReadOnlyDictionary<RelayDropReason, long> Drops,
    long SessionsOpened,
    long SessionsActive);
