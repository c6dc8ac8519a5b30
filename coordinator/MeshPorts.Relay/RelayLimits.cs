using MeshPorts.Contracts.Relay;

namespace MeshPorts.Relay;

/// <summary>The relay's fixed numbers (docs/nat.md): per-node rates, windows and sizes.</summary>
public static class RelayLimits
{
    /// <summary>Bytes of payload one node may send a second; the burst is one second's worth.</summary>
    public const double BytesPerSecond = 8 * 1024 * 1024;

    /// <summary>Datagrams (and keepalives) one node may send a second; the burst is one second's worth.</summary>
    public const double DatagramsPerSecond = 8192;

    /// <summary>relay.proto: one WireGuard message, at most this many bytes.</summary>
    public const int MaxPayload = 65_535;

    /// <summary>A node's UDP address is used for delivery while its last good frame is at most this old (its keepalives come every 2 s).</summary>
    public static readonly TimeSpan UdpFreshness = TimeSpan.FromSeconds(10);

    /// <summary>Frames a session's replay window remembers per direction.</summary>
    public const int ReplayWindow = RelayReplayWindow.Size;

    /// <summary>Received datagrams queued for one node's TLS stream; past it they are dropped (no_destination).</summary>
    public const int TlsQueue = 1024;

    /// <summary>How long a connection may take to answer the Challenge with a Hello.</summary>
    public static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);
}
