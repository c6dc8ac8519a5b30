using System.Collections.Concurrent;
using MeshPorts.Node.Io;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.TestKit;

/// <summary>One socket on a <see cref="MemoryNetwork"/>.</summary>
internal sealed class MemoryUdpTransport : IUdpTransport
{
    private readonly MemoryNetwork _network;
    private readonly BlockingCollection<(PeerEndpoint Source, byte[] Payload)> _inbox = new();
    private readonly CancellationTokenSource _closed = new();

    internal MemoryUdpTransport(MemoryNetwork network, PeerEndpoint endpoint)
    {
        _network = network;
        Endpoint = endpoint;
    }

    public PeerEndpoint Endpoint { get; }

    public ushort LocalPort => Endpoint.Port;

    public uint Fwmark { get; private set; }

    internal void Enqueue(PeerEndpoint source, byte[] payload)
    {
        if (!_closed.IsCancellationRequested)
        {
            _inbox.Add((source, payload));
        }
    }

    public int ReceiveBatch(Span<byte> buffer, int slotSize, Span<int> lengths, Span<PeerEndpoint> sources)
    {
        (PeerEndpoint Source, byte[] Payload) item;
        try
        {
            item = _inbox.Take(_closed.Token);
        }
        catch (OperationCanceledException)
        {
            return 0;
        }

        var count = 0;
        do
        {
            // Like recvmmsg, a datagram larger than the slot is truncated.
            var length = Math.Min(item.Payload.Length, slotSize);
            item.Payload.AsSpan(0, length).CopyTo(buffer[(count * slotSize)..]);
            lengths[count] = length;
            sources[count] = item.Source;
            count++;
        }
        while (count < lengths.Length && _inbox.TryTake(out item));

        return count;
    }

    public bool Send(ReadOnlySpan<byte> datagram, in PeerEndpoint destination)
    {
        if (_closed.IsCancellationRequested)
        {
            return false;
        }

        _network.Route(Endpoint, destination, datagram.ToArray());
        return true;
    }

    public void SetFwmark(uint mark) => Fwmark = mark;

    public void Dispose()
    {
        if (!_closed.IsCancellationRequested)
        {
            _closed.Cancel();
            _network.Unbind(this);
        }
    }
}
