using MeshPorts.Node.Paths;
using MeshPorts.Node.Relay;

namespace MeshPorts.Node.Tests.Relay;

public sealed class RelayTlsTests
{
    [Fact]
    public async Task Datagram_RoundTripsOverTheTlsStream()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator", udp: false);
        h.SetPeer("coordinator");
        await h.StartAsync();

        Assert.Equal(RelayTransport.Tls, h.Client.TransportFor(RelayHarness.Peer));
        Assert.Equal(("coordinator", relay.Url.GetLeftPart(UriPartial.Authority)), h.Client.RouteFor(RelayHarness.Peer));
        Assert.True(h.Client.Send(RelayHarness.Peer, [4, 0, 0, 0, 9]));
        var sent = await relay.Sent.Reader.ReadAsync().AsTask().WaitAsync(FakeRelayServer.Wait);
        Assert.Equal(RelayHarness.Peer, sent.PeerNodeId);
        Assert.Equal(new byte[] { 4, 0, 0, 0, 9 }, sent.Payload.ToByteArray());

        await relay.PushAsync(RelayHarness.Peer, [1, 0, 0, 0, 7]);
        var received = await h.Inbound.NextAsync();

        Assert.Equal((RelayHarness.Peer, "coordinator"), (received.From, received.RelayId));
        Assert.Equal(new byte[] { 1, 0, 0, 0, 7 }, received.Datagram);
        var counters = h.Client.Counters.For(RelayHarness.Peer);
        Assert.Equal((1, 5, 1, 5), (counters.TxDatagrams(RelayTransport.Tls), counters.TxBytes(RelayTransport.Tls), counters.RxDatagrams(RelayTransport.Tls), counters.RxBytes(RelayTransport.Tls)));
        Assert.Equal(0, counters.TxDatagrams(RelayTransport.Udp));
    }

    [Fact]
    public async Task Datagram_FromANodeThatIsNoPeer_IsDroppedAndCounted()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator", udp: false);
        h.SetPeer("coordinator");
        await h.StartAsync();

        await relay.PushAsync("stranger", [1, 0, 0, 0, 7]);
        await relay.PushAsync(RelayHarness.Peer, [2]);

        Assert.Equal(new byte[] { 2 }, (await h.Inbound.NextAsync()).Datagram);
        Assert.Equal(1, h.Client.Counters[RelayDrop.UnknownPeer]);
        Assert.Null(h.Client.Counters.Find("stranger"));
    }

    [Fact]
    public async Task Send_ToAPeerWithNoReachableRelay_IsFalseAndCounted()
    {
        await using var h = new RelayHarness();
        await h.AddRelayAsync("coordinator", udp: false);
        h.Client.UpdatePeers([
            new PathPeer("homeless", MeshPorts.WireGuard.Keys.WgKey.FromBytes(new byte[32]), null, [], null),
            new PathPeer("elsewhere", MeshPorts.WireGuard.Keys.WgKey.FromBytes(new byte[32]), null, [], "unknown-relay"),
        ]);
        await h.StartAsync();

        Assert.False(h.Client.Send("homeless", [1]));
        Assert.False(h.Client.Send("elsewhere", [1]));
        Assert.False(h.Client.Send("not-a-peer", [1]));
        Assert.False(h.Client.Send("homeless", []));

        Assert.Equal(RelayTransport.None, h.Client.TransportFor("elsewhere"));
        Assert.Equal(3, h.Client.Counters[RelayDrop.NoRelay]);
        Assert.Equal(1, h.Client.Counters[RelayDrop.Oversized]);
        Assert.Equal(1, h.Client.Counters.For("homeless").TxDrops);
    }
}
