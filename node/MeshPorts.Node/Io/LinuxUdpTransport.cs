using MeshPorts.Native.Linux;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Io;

/// <summary>
/// A dual-stack, batched (recvmmsg/sendmmsg) UDP socket behind the device's <see cref="IUdpTransport"/>.
/// With offloads, runs of equal datagrams to one peer leave in one UDP_SEGMENT send, and UDP_GRO
/// receives (several datagrams of one sender in one buffer) are cut up here without copying.
/// </summary>
internal sealed class LinuxUdpTransport : IUdpTransport
{
    // A slot holds the largest UDP payload, so neither a jumbo datagram nor a coalesced receive is cut.
    private const int SlotSize = 65536;

    // The kernel coalesces at most 64 datagrams into one GRO receive (UDP_GRO_CNT_MAX).
    private const int MaxGroSegments = 64;

    private readonly UdpBatchSocket _socket;
    private readonly byte[] _receive;
    private readonly int[] _lengths;
    private readonly int[] _segmentSizes;
    private readonly UdpAddress[] _sources;
    private UdpAddress[] _destinations = [];
    private long _truncated;

    /// <param name="messages">Most receives per recvmmsg; each takes a 64 KiB slot, touched only as far as it is filled.</param>
    public LinuxUdpTransport(ushort port, bool offloads = true, int messages = 64)
    {
        _socket = new UdpBatchSocket(port, UdpBatchSocket.DefaultMaxBatch, offloads);
        // Uninitialised: pages are only faulted in as datagrams land in them.
        _receive = GC.AllocateUninitializedArray<byte>(messages * SlotSize);
        _lengths = new int[messages];
        _segmentSizes = new int[messages];
        _sources = new UdpAddress[messages];
    }

    public ushort LocalPort => _socket.LocalPort;

    public bool Gso => _socket.Gso;

    public bool Gro => _socket.Gro;

    public string Offloads => (Gso, Gro) switch
    {
        (true, true) => "gso,gro",
        (true, false) => "gso",
        (false, true) => "gro",
        _ => "none",
    };

    /// <summary>Coalesced receives that held more datagrams than the caller had room for; the rest were dropped.</summary>
    public long Truncated => Interlocked.Read(ref _truncated);

    public ReadOnlySpan<byte> ReceiveBuffer => _receive;

    public int ReceiveBatch(Span<ReceivedDatagram> datagrams)
    {
        // With GRO a message may hold up to 64 datagrams: ask for no more messages than fit for sure.
        var messages = _socket.Gro ? Math.Max(1, datagrams.Length / MaxGroSegments) : datagrams.Length;
        messages = Math.Min(messages, _lengths.Length);
        var received = _socket.ReceiveBatch(_receive, SlotSize, _lengths.AsSpan(0, messages), _sources.AsSpan(0, messages), _segmentSizes.AsSpan(0, messages));
        var count = 0;
        for (var i = 0; i < received && count < datagrams.Length; i++)
        {
            ref readonly var s = ref _sources[i];
            var source = new PeerEndpoint(s.Address16, s.Port, s.ScopeId);
            var offset = i * SlotSize;
            var length = _lengths[i];
            var segment = _segmentSizes[i] is > 0 and var size && size < length ? size : Math.Max(length, 1);
            for (var at = 0; at < Math.Max(length, 1); at += segment)
            {
                if (count == datagrams.Length)
                {
                    Interlocked.Increment(ref _truncated);
                    break;
                }

                datagrams[count++] = new ReceivedDatagram(offset + at, Math.Min(segment, length - at), source);
            }
        }

        return count;
    }

    public bool Send(ReadOnlySpan<byte> datagram, in PeerEndpoint destination) =>
        _socket.Send(datagram, ToAddress(destination));

    public int SendBatch(ReadOnlySpan<byte> buffer, int slotSize, ReadOnlySpan<int> lengths, ReadOnlySpan<PeerEndpoint> destinations)
    {
        if (_destinations.Length < lengths.Length)
        {
            _destinations = new UdpAddress[lengths.Length];
        }

        for (var i = 0; i < lengths.Length; i++)
        {
            _destinations[i] = ToAddress(destinations[i]);
        }

        return _socket.SendBatch(buffer, slotSize, lengths, _destinations.AsSpan(0, lengths.Length));
    }

    public void SetFwmark(uint mark) => _socket.SetFwmark(mark);

    public void Dispose() => _socket.Dispose();

    private static UdpAddress ToAddress(in PeerEndpoint endpoint) => new(endpoint.Address16, endpoint.Port, endpoint.ScopeId);
}
