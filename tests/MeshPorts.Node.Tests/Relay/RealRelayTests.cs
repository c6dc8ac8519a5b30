using MeshPorts.Node.Paths;
using MeshPorts.Node.Relay;
using MeshPorts.Node.StateDirectory;
using MeshPorts.WireGuard.Keys;
using Microsoft.Extensions.Logging.Abstractions;
using NSec.Cryptography;
using RelayCore = MeshPorts.Relay.RelayCore;

namespace MeshPorts.Node.Tests.Relay;

/// <summary>Two nodes' relay clients through the real relay (MeshPorts.Relay), on the system clock.</summary>
public sealed class RealRelayTests
{
    [Fact]
    public async Task TwoNodes_ExchangeDatagramsThroughTheRealRelay_AsUdpFrames()
    {
        using var ticketKey = Key.Create(SignatureAlgorithm.Ed25519);
        await using var relay = await RealRelayHost.StartAsync(new RelayCore("coordinator", ticketKey.PublicKey, TimeProvider.System));
        await using var a = new Node("n_aaaa", "n_bbbb", ticketKey, relay);
        await using var b = new Node("n_bbbb", "n_aaaa", ticketKey, relay);

        a.Client.Start();
        b.Client.Start();
        await RelayHarness.Eventually(() => a.Connected && b.Connected, "both nodes welcomed by the relay");
        await RelayHarness.Eventually(() => a.Client.TransportFor("n_bbbb") == RelayTransport.Udp && b.Client.TransportFor("n_aaaa") == RelayTransport.Udp, "the relay answers both nodes' keepalives");

        Assert.True(a.Client.Send("n_bbbb", [4, 0, 0, 0, 1, 2, 3]));
        var received = await b.Inbound.NextAsync();
        Assert.Equal(("n_aaaa", "coordinator"), (received.From, received.RelayId));
        Assert.Equal(new byte[] { 4, 0, 0, 0, 1, 2, 3 }, received.Datagram);
        Assert.Equal(1, b.Client.Counters.For("n_aaaa").RxDatagrams(RelayTransport.Udp));

        Assert.True(b.Client.Send("n_aaaa", [2, 0, 0, 0, 9]));
        Assert.Equal(new byte[] { 2, 0, 0, 0, 9 }, (await a.Inbound.NextAsync()).Datagram);
        Assert.Equal("coordinator", a.Client.HomeRelay);
    }

    [Fact]
    public async Task FresherTicket_AfterANetmapChange_IsTakenByTheRealRelay_AndTheStreamStays()
    {
        using var ticketKey = Key.Create(SignatureAlgorithm.Ed25519);
        await using var relay = await RealRelayHost.StartAsync(new RelayCore("coordinator", ticketKey.PublicKey, TimeProvider.System));
        await using var a = new Node("n_aaaa", "n_bbbb", ticketKey, relay);
        await using var b = new Node("n_bbbb", "n_aaaa", ticketKey, relay);
        a.Client.Start();
        b.Client.Start();
        await RelayHarness.Eventually(() => a.Connected && b.Connected, "both nodes welcomed by the relay");
        var session = a.Client.Sessions["coordinator"];
        var welcomes = session.Welcomes;

        await Task.Delay(5);
        a.Client.NetmapChanged();
        await RelayHarness.Eventually(() => a.Link.Fetches == 2, "a second ticket is fetched");
        await Task.Delay(300);

        Assert.True(a.Client.Send("n_bbbb", [4, 0, 0, 0, 5]));
        Assert.Equal(new byte[] { 4, 0, 0, 0, 5 }, (await b.Inbound.NextAsync()).Datagram);
        Assert.Equal(welcomes, session.Welcomes);
        Assert.NotNull(session.Connection);
    }

    [Fact]
    public async Task TwoNodes_ExchangeDatagramsThroughTheRealRelay_OnTheTlsStreams()
    {
        using var ticketKey = Key.Create(SignatureAlgorithm.Ed25519);
        await using var relay = await RealRelayHost.StartAsync(new RelayCore("coordinator", ticketKey.PublicKey, TimeProvider.System));
        await using var a = new Node("n_aaaa", "n_bbbb", ticketKey, relay, udp: false);
        await using var b = new Node("n_bbbb", "n_aaaa", ticketKey, relay, udp: false);
        a.Client.Start();
        b.Client.Start();
        await RelayHarness.Eventually(() => a.Connected && b.Connected, "both nodes welcomed by the relay");

        Assert.Equal(RelayTransport.Tls, a.Client.TransportFor("n_bbbb"));
        Assert.True(a.Client.Send("n_bbbb", [4, 0, 0, 0, 1]));
        Assert.Equal(new byte[] { 4, 0, 0, 0, 1 }, (await b.Inbound.NextAsync()).Datagram);
        Assert.True(b.Client.Send("n_aaaa", [4, 0, 0, 0, 2]));
        Assert.Equal(new byte[] { 4, 0, 0, 0, 2 }, (await a.Inbound.NextAsync()).Datagram);
        Assert.Equal((1, 1), (a.Client.Counters.For("n_bbbb").TxDatagrams(RelayTransport.Tls), a.Client.Counters.For("n_bbbb").RxDatagrams(RelayTransport.Tls)));
    }

    private sealed class Node : IAsyncDisposable
    {
        public Node(string id, string peer, Key ticketKey, RealRelayHost relay, bool udp = true)
        {
            Link = new RelayTestLink(id, Machine.PublicKey, TimeProvider.System, ticketKey);
            Link.Peers.Clear();
            Link.Peers.Add(peer);
            var descriptor = relay.Descriptor;
            if (!udp)
            {
                descriptor.UdpEndpoint = string.Empty;
            }

            Link.Relays.Add(descriptor);
            Client = new RelayClient(Link, Machine, Underlay, Inbound, TimeProvider.System, NullLogger.Instance);
            Client.UpdatePeers([new PathPeer(peer, WgKey.FromBytes(new byte[32]), null, [], "coordinator")]);
            Underlay.Start(Client);
        }

        public MachineKey Machine { get; } = MachineKey.Generate();

        public RelayTestLink Link { get; }

        public LoopbackUnderlay Underlay { get; } = new();

        public RecordingInbound Inbound { get; } = new();

        public RelayClient Client { get; }

        public bool Connected => Client.Sessions.TryGetValue("coordinator", out var s) && s.Connection is not null;

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Underlay.DisposeAsync();
            Link.Dispose();
            Machine.Dispose();
        }
    }
}
