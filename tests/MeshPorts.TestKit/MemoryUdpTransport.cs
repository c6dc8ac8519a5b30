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

    // Datagrams of one ReceiveBatch, packed one after another.
    private byte[] _received = new byte[64 * 1024];

    public ReadOnlySpan<byte> ReceiveBuffer => _received;

    public int ReceiveBatch(Span<ReceivedDatagram> datagrams)
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
        var offset = 0;
        do
        {
            if (offset + item.Payload.Length > _received.Length)
            {
                Array.Resize(ref _received, Math.Max(_received.Length * 2, offset + item.Payload.Length));
            }

            item.Payload.CopyTo(_received.AsSpan(offset));
            datagrams[count++] = new ReceivedDatagram(offset, item.Payload.Length, item.Source);
            offset += item.Payload.Length;
        }
        while (count < datagrams.Length && _inbox.TryTake(out item));

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
