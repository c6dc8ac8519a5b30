using System.Net;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.WireGuard.Tests.Harness;

/// <summary>
/// Two or more engines wired through queues: datagrams are delivered only when <see cref="Pump"/> runs,
/// so no engine is re-entered from inside another engine's call, as with a real socket.
/// </summary>
internal sealed class TestNetwork
{
    private readonly Queue<(Datagram Datagram, DateTimeOffset Due)> _queue = new();
    private readonly List<TestNode> _nodes = [];

    public TestNetwork(int seed = 1)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Seed = seed;
    }

    public FakeTimeProvider Time { get; }

    public int Seed { get; }

    /// <summary>Every datagram ever enqueued, delivered or not.</summary>
    public List<Datagram> Log { get; } = [];

    /// <summary>One-way delay: <see cref="Pump"/> delivers a datagram only once the clock has reached it.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Return false to lose a datagram in transit.</summary>
    public Func<Datagram, bool> Deliverable { get; set; } = _ => true;

    public static PeerEndpoint Endpoint(string text) =>
        PeerEndpoint.FromIPEndPoint(IPEndPoint.Parse(text));

    public TestNode AddNode(string endpoint)
    {
        var engine = new WireGuardEngine(Time, new Random(Seed + _nodes.Count));
        var node = new TestNode(this, engine, WgKey.GeneratePrivate(), Endpoint(endpoint));
        _nodes.Add(node);
        return node;
    }

    /// <summary>
    /// The node's process restarted: a fresh engine with the same key and address, knowing nothing of
    /// its sessions. Datagrams to the address now reach the new node.
    /// </summary>
    public TestNode Restart(TestNode node)
    {
        var engine = new WireGuardEngine(Time, new Random(Seed + _nodes.Count));
        var fresh = new TestNode(this, engine, node.PrivateKey, node.Endpoint);
        _nodes[_nodes.IndexOf(node)] = fresh;
        return fresh;
    }

    /// <summary>Two nodes that know each other; only A knows B's endpoint unless <paramref name="bothEndpoints"/>.</summary>
    public (TestNode A, TestNode B, Peer BOnA, Peer AOnB) Pair(bool bothEndpoints = false)
    {
        var a = AddNode("192.0.2.1:51820");
        var b = AddNode("192.0.2.2:51820");
        var bOnA = a.Engine.AddPeer(b.PublicKey);
        var aOnB = b.Engine.AddPeer(a.PublicKey);
        bOnA.Endpoint = b.Endpoint;
        if (bothEndpoints)
        {
            aOnB.Endpoint = a.Endpoint;
        }

        return (a, b, bOnA, aOnB);
    }

    public void Enqueue(PeerEndpoint from, PeerEndpoint to, byte[] data)
    {
        var datagram = new Datagram(from, to, data);
        Log.Add(datagram);
        _queue.Enqueue((datagram, Time.GetUtcNow() + Latency));
    }

    /// <summary>Delivers queued datagrams that are due (and whatever they cause) until the network is quiet.</summary>
    public int Pump(int limit = 10_000)
    {
        var delivered = 0;

        // One latency for every datagram keeps the queue in due order, so the head decides.
        while (_queue.TryPeek(out var head) && head.Due <= Time.GetUtcNow())
        {
            var datagram = _queue.Dequeue().Datagram;
            if (++delivered > limit)
            {
                throw new InvalidOperationException("The network did not go quiet: a message loop?");
            }

            if (!Deliverable(datagram))
            {
                continue;
            }

            var node = _nodes.FirstOrDefault(n => n.Endpoint == datagram.To);
            node?.Receive(datagram.Data, datagram.From);
        }

        return delivered;
    }

    public void DropQueued() => _queue.Clear();

    /// <summary>Advances the clock in 100 ms steps, ticking every node and pumping, as the device would.</summary>
    public void Run(TimeSpan duration)
    {
        var step = TimeSpan.FromMilliseconds(100);
        for (var elapsed = TimeSpan.Zero; elapsed < duration; elapsed += step)
        {
            Time.Advance(step);
            foreach (var node in _nodes)
            {
                node.Tick();
            }

            Pump();
        }
    }

    public int Count(Func<Datagram, bool> predicate) => Log.Count(predicate);
}
