using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Io;

/// <summary>The device's UDP socket: dual-stack, batched receive and send, thread-safe single sends.</summary>
internal interface IUdpTransport : IDisposable
{
    ushort LocalPort { get; }

    /// <summary>The offloads in use, for logs and status ("none", "gso", "gro" or "gso,gro").</summary>
    string Offloads => "none";

    /// <summary>
    /// Where the datagrams of the last <see cref="ReceiveBatch"/> are; valid until the next call.
    /// </summary>
    ReadOnlySpan<byte> ReceiveBuffer { get; }

    /// <summary>
    /// Blocks for at least one datagram, then takes what else is ready, up to <c>datagrams.Length</c>;
    /// each entry says where in <see cref="ReceiveBuffer"/> the datagram is and who sent it. Returns 0
    /// once closed. Only one thread may receive at a time.
    /// </summary>
    int ReceiveBatch(Span<ReceivedDatagram> datagrams);

    /// <summary>
    /// Sends one datagram; safe to call from several threads at once. Returns false when the kernel
    /// refused it (unreachable, filtered) or the socket is closed.
    /// </summary>
    bool Send(ReadOnlySpan<byte> datagram, in PeerEndpoint destination);

    /// <summary>
    /// Sends datagram i from <c>buffer[(i * slotSize)..]</c> (<c>lengths[i]</c> bytes) to
    /// <c>destinations[i]</c>, in order. One thread at a time. Returns how many the kernel took.
    /// </summary>
    int SendBatch(ReadOnlySpan<byte> buffer, int slotSize, ReadOnlySpan<int> lengths, ReadOnlySpan<PeerEndpoint> destinations)
    {
        var sent = 0;
        for (var i = 0; i < lengths.Length; i++)
        {
            if (Send(buffer.Slice(i * slotSize, lengths[i]), destinations[i]))
            {
                sent++;
            }
        }

        return sent;
    }

    /// <summary>Marks outgoing packets (SO_MARK) so policy routing can keep them off the tunnel.</summary>
    void SetFwmark(uint mark);
}

/// <summary>One received datagram: <see cref="IUdpTransport.ReceiveBuffer"/>[Offset..Offset+Length] from Source.</summary>
internal readonly record struct ReceivedDatagram(int Offset, int Length, PeerEndpoint Source);
