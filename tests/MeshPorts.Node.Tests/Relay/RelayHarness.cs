using System.Collections.Concurrent;
using MeshPorts.Contracts.Relay;
using MeshPorts.Contracts.Transport;
using MeshPorts.Node.Paths;
using MeshPorts.Node.Relay;
using MeshPorts.Node.StateDirectory;
using MeshPorts.WireGuard.Keys;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Node.Tests.Relay;

/// <summary>One node's relay client against fake relays: a fake clock for keepalives and ticket times, real TLS and UDP on loopback.</summary>
internal sealed class RelayHarness : IAsyncDisposable
{
    public const string NodeId = "node-a";
    public const string Peer = "peer-b";

    private readonly List<FakeRelayServer> _relays = [];

    public RelayHarness()
    {
        Link = new RelayTestLink(NodeId, Machine.PublicKey, Time);
        Client = new RelayClient(Link, Machine, Underlay, Inbound, Time, Log);
        Underlay.Start(Client);
    }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public MachineKey Machine { get; } = MachineKey.Generate();

    public RelayTestLink Link { get; }

    public RecordingInbound Inbound { get; } = new();

    public LoopbackUnderlay Underlay { get; } = new();

    public ListLogger Log { get; } = new();

    public RelayClient Client { get; }

    public async Task<FakeRelayServer> AddRelayAsync(string id, bool udp = true, CertificatePin? listedPin = null)
    {
        var relay = await FakeRelayServer.StartAsync(id, Link.TicketKey, udp);
        _relays.Add(relay);
        lock (Link.Relays)
        {
            Link.Relays.Add(relay.Descriptor(listedPin));
        }

        return relay;
    }

    /// <summary>The peer, homed at <paramref name="relayId"/>.</summary>
    public void SetPeer(string relayId, string peer = Peer) =>
        Client.UpdatePeers([new PathPeer(peer, WgKey.FromBytes(new byte[32]), null, [], relayId)]);

    /// <summary>Starts the client and waits until every relay has welcomed it.</summary>
    public async Task StartAsync()
    {
        Client.Start();
        await Eventually(() => _relays.TrueForAll(r => Client.Sessions.TryGetValue(r.Id, out var s) && s.Connection is not null), "every relay welcomed the node");
    }

    /// <summary>Answers the node's next keepalive, after letting <paramref name="roundTrip"/> pass on the fake clock.</summary>
    public async Task AnswerKeepaliveAsync(FakeRelayServer relay, TimeSpan roundTrip = default)
    {
        await relay.ReceiveUdpAsync(RelayFrameKind.Keepalive);
        Time.Advance(roundTrip);
        await relay.SendUdpAsync(relay.Frame(RelayFrameKind.KeepaliveAnswer));
    }

    public static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + FakeRelayServer.Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"not within {FakeRelayServer.Wait.TotalSeconds:0} s: {what}");
            }

            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Underlay.DisposeAsync();
        foreach (var relay in _relays)
        {
            await relay.DisposeAsync();
        }

        Link.Dispose();
        Machine.Dispose();
    }

    internal sealed class ListLogger : ILogger
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Enqueue(formatter(state, exception));
    }
}
