using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Io;

/// <summary>The device's UDP socket: dual-stack, batched receive, thread-safe single sends.</summary>
internal interface IUdpTransport : IDisposable
{
    ushort LocalPort { get; }

    /// <summary>
    /// Blocks for at least one datagram, then takes what else is ready. Returns 0 once closed.
    /// Only one thread may receive at a time.
    /// </summary>
    int ReceiveBatch(Span<byte> buffer, int slotSize, Span<int> lengths, Span<PeerEndpoint> sources);

    /// <summary>
    /// Sends one datagram; safe to call from several threads at once. Returns false when the kernel
    /// refused it (unreachable, filtered) or the socket is closed.
    /// </summary>
    bool Send(ReadOnlySpan<byte> datagram, in PeerEndpoint destination);

    /// <summary>Marks outgoing packets (SO_MARK) so policy routing can keep them off the tunnel.</summary>
    void SetFwmark(uint mark);
}
