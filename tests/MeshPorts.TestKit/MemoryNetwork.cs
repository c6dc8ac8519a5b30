using System.Collections.Concurrent;
using System.Net;
using MeshPorts.Node.Io;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.TestKit;

/// <summary>
/// An in-memory UDP network: transports bound on it reach each other by endpoint. A filter can drop,
/// record or rewrite datagrams in flight, which is how tests lose packets or move a peer (roaming).
/// </summary>
internal sealed class MemoryNetwork
{
    private readonly ConcurrentDictionary<PeerEndpoint, MemoryUdpTransport> _bound = new();
    private int _nextPort = 40000;

    /// <summary>Return false to drop a datagram (source, destination, payload).</summary>
    public Func<PeerEndpoint, PeerEndpoint, byte[], bool>? Filter { get; set; }

    private long _delivered;
    private long _dropped;

    public long Delivered => Interlocked.Read(ref _delivered);

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>A factory binding transports at <paramref name="address"/> (e.g. "192.0.2.1").</summary>
    public IUdpTransportFactory Host(string address) => new HostFactory(this, IPAddress.Parse(address));

    internal MemoryUdpTransport Bind(IPAddress address, ushort port)
    {
        if (port == 0)
        {
            port = (ushort)Interlocked.Increment(ref _nextPort);
        }

        var endpoint = PeerEndpoint.FromIPEndPoint(new IPEndPoint(address, port));
        var transport = new MemoryUdpTransport(this, endpoint);
        if (!_bound.TryAdd(endpoint, transport))
        {
            throw new IOException($"address {endpoint} already in use");
        }

        return transport;
    }

    internal void Unbind(MemoryUdpTransport transport) => _bound.TryRemove(new KeyValuePair<PeerEndpoint, MemoryUdpTransport>(transport.Endpoint, transport));

    internal void Route(PeerEndpoint source, PeerEndpoint destination, byte[] payload)
    {
        if (Filter is { } filter && !filter(source, destination, payload))
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        if (_bound.TryGetValue(destination, out var target))
        {
            Interlocked.Increment(ref _delivered);
            target.Enqueue(source, payload);
        }
        else
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private sealed class HostFactory(MemoryNetwork network, IPAddress address) : IUdpTransportFactory
    {
        public IUdpTransport Bind(ushort port) => network.Bind(address, port);
    }
}
