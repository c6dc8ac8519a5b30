using System.Collections.Concurrent;
using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Tests.Device;

internal sealed class FakeProbeSink : IProbeSink
{
    public ConcurrentQueue<(byte[] Datagram, PeerEndpoint Source)> Taken { get; } = new();

    public void HandleProbe(ReadOnlySpan<byte> datagram, in PeerEndpoint source) => Taken.Enqueue((datagram.ToArray(), source));
}

internal sealed class FakeStunSink(bool accept) : IStunSink
{
    public ConcurrentQueue<(byte[] Datagram, PeerEndpoint Source)> Taken { get; } = new();

    public bool TryHandleStun(ReadOnlySpan<byte> datagram, in PeerEndpoint source)
    {
        Taken.Enqueue((datagram.ToArray(), source));
        return accept;
    }
}

/// <summary>
/// Relays between devices registered by node id, delivering on its own thread as a real relay would (a
/// synchronous delivery would run one device's engine inside the other's).
/// </summary>
internal sealed class FakeRelayHub : IDisposable
{
    private readonly ConcurrentDictionary<string, Node.Device.Device> _devices = new(StringComparer.Ordinal);
    private readonly BlockingCollection<(string From, string To, byte[] Datagram)> _queue = new();
    private readonly Thread _thread;

    public FakeRelayHub()
    {
        _thread = new Thread(() =>
        {
            foreach (var (from, to, datagram) in _queue.GetConsumingEnumerable())
            {
                if (_devices.TryGetValue(to, out var device))
                {
                    device.ReceiveRelayed(from, "relay-1", datagram);
                }
            }
        })
        { IsBackground = true };
        _thread.Start();
    }

    public FakeRelayLink Attach(string nodeId, Node.Device.Device device)
    {
        _devices[nodeId] = device;
        var link = new FakeRelayLink(this, nodeId);
        device.RelayLink = link;
        return link;
    }

    public void Enqueue(string from, string to, byte[] datagram) => _queue.Add((from, to, datagram));

    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}

internal sealed class FakeRelayLink(FakeRelayHub hub, string self) : IRelayLink
{
    public static readonly PeerEndpoint RelayAddress = Parse("198.51.100.7:3478");

    public ConcurrentQueue<(string Peer, byte[] Datagram)> Sent { get; } = new();

    public ConcurrentQueue<byte[]> Frames { get; } = new();

    public bool Accept { get; set; } = true;

    public bool Send(string peerNodeId, ReadOnlySpan<byte> datagram)
    {
        if (!Accept)
        {
            return false;
        }

        var copy = datagram.ToArray();
        Sent.Enqueue((peerNodeId, copy));
        hub.Enqueue(self, peerNodeId, copy);
        return true;
    }

    public RelayTransport TransportFor(string peerNodeId) => RelayTransport.Udp;

    public (string RelayId, string Endpoint)? RouteFor(string peerNodeId) => ("relay-1", RelayAddress.ToString());

    public bool TryHandleUdpFrame(ReadOnlySpan<byte> frame, in PeerEndpoint source)
    {
        if (source != RelayAddress)
        {
            return false;
        }

        Frames.Enqueue(frame.ToArray());
        return true;
    }

    public static PeerEndpoint Parse(string text)
    {
        Assert.True(PeerEndpoint.TryParse(text, out var endpoint));
        return endpoint;
    }
}
