using MeshPorts.Native.Linux;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Io;

/// <summary>A dual-stack, batched (recvmmsg) UDP socket behind the device's <see cref="IUdpTransport"/>.</summary>
internal sealed class LinuxUdpTransport : IUdpTransport
{
    private readonly UdpBatchSocket _socket;

    // Scratch for one receiver thread: the native layer's addresses, turned into the engine's.
    private UdpAddress[] _sources = [];

    public LinuxUdpTransport(ushort port)
    {
        _socket = new UdpBatchSocket(port);
    }

    public ushort LocalPort => _socket.LocalPort;

    public int ReceiveBatch(Span<byte> buffer, int slotSize, Span<int> lengths, Span<PeerEndpoint> sources)
    {
        if (_sources.Length < sources.Length)
        {
            _sources = new UdpAddress[sources.Length];
        }

        var count = _socket.ReceiveBatch(buffer, slotSize, lengths, _sources.AsSpan(0, sources.Length));
        for (var i = 0; i < count; i++)
        {
            ref readonly var s = ref _sources[i];
            sources[i] = new PeerEndpoint(s.Address16, s.Port, s.ScopeId);
        }

        return count;
    }

    public bool Send(ReadOnlySpan<byte> datagram, in PeerEndpoint destination) =>
        _socket.Send(datagram, new UdpAddress(destination.Address16, destination.Port, destination.ScopeId));

    public void SetFwmark(uint mark) => _socket.SetFwmark(mark);

    public void Dispose() => _socket.Dispose();
}
