using System.Net;
using System.Net.Sockets;
using MeshPorts.Contracts.Relay;
using MeshPorts.Node.Paths;
using MeshPorts.Node.Relay;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Tests.Relay;

public sealed class RelayUdpTests
{
    [Fact]
    public async Task Keepalive_FromTheWireGuardSocket_IsTaggedForThisSession_AndItsAnswerBringsUdpUp()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator");
        h.SetPeer("coordinator");
        await h.StartAsync();

        var (frame, from) = await relay.ReceiveUdpAsync();

        Assert.Equal(h.Underlay.LocalEndPoint, from);
        Assert.True(RelayUdpFrame.TryReadHeader(frame, out var header));
        Assert.Equal((RelayFrameKind.Keepalive, relay.SessionId, 1UL), (header.Kind, header.SessionId, header.Counter));
        using var key = RelayUdpFrame.ImportKey(relay.UdpKey);
        Assert.True(RelayUdpFrame.VerifyTag(frame, key, RelayDirection.ToRelay));
        Assert.Equal(RelayTransport.Tls, h.Client.TransportFor(RelayHarness.Peer));

        await relay.SendUdpAsync(relay.Frame(RelayFrameKind.KeepaliveAnswer));

        await RelayHarness.Eventually(() => h.Client.TransportFor(RelayHarness.Peer) == RelayTransport.Udp, "UDP is up after the answer");
        Assert.Equal(("coordinator", relay.Udp!.LocalEndPoint!.ToString()!), h.Client.RouteFor(RelayHarness.Peer));
    }

    [Fact]
    public async Task Datagram_RoundTripsAsUdpFrames()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator");
        h.SetPeer("coordinator");
        await h.StartAsync();
        await UdpUpAsync(h, relay);

        Assert.True(h.Client.Send(RelayHarness.Peer, [4, 0, 0, 0, 9]));
        var (frame, header) = await relay.ReceiveUdpAsync(RelayFrameKind.Datagram);
        using var key = RelayUdpFrame.ImportKey(relay.UdpKey);
        Assert.True(RelayUdpFrame.VerifyTag(frame, key, RelayDirection.ToRelay));
        Assert.Equal(RelayHarness.Peer, System.Text.Encoding.ASCII.GetString(frame, header.PeerIdOffset, header.PeerIdLength));
        Assert.Equal(new byte[] { 4, 0, 0, 0, 9 }, frame[header.PayloadOffset..(header.PayloadOffset + header.PayloadLength)]);

        await relay.SendUdpAsync(relay.Frame(RelayFrameKind.Datagram, RelayHarness.Peer, [1, 0, 0, 0, 7]));
        var received = await h.Inbound.NextAsync();

        Assert.Equal((RelayHarness.Peer, "coordinator"), (received.From, received.RelayId));
        Assert.Equal(new byte[] { 1, 0, 0, 0, 7 }, received.Datagram);
        var counters = h.Client.Counters.For(RelayHarness.Peer);
        Assert.Equal((1, 5, 1, 5), (counters.TxDatagrams(RelayTransport.Udp), counters.TxBytes(RelayTransport.Udp), counters.RxDatagrams(RelayTransport.Udp), counters.RxBytes(RelayTransport.Udp)));
        Assert.Equal(0, counters.TxDatagrams(RelayTransport.Tls));
        Assert.True(relay.Sent.Reader.Count == 0);
    }

    [Fact]
    public async Task ForgedReplayedWrongSessionWrongSourceAndMalformedFrames_AreDroppedAndCounted()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator");
        h.SetPeer("coordinator");
        await h.StartAsync();
        await UdpUpAsync(h, relay);
        using var elsewhere = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        elsewhere.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        var good = relay.Frame(RelayFrameKind.Datagram, RelayHarness.Peer, [1]);
        await relay.SendUdpAsync(good);
        await relay.SendUdpAsync(good);
        await relay.SendUdpAsync(relay.Frame(RelayFrameKind.Datagram, RelayHarness.Peer, [2], key: new byte[32]));
        await relay.SendUdpAsync(relay.Frame(RelayFrameKind.Datagram, RelayHarness.Peer, [3], sessionId: relay.SessionId ^ 1));
        await relay.SendUdpAsync(relay.Frame(RelayFrameKind.Datagram, RelayHarness.Peer, [4]), from: elsewhere);
        await relay.SendUdpAsync([0xF2, (byte)'M', (byte)'R', 1, 0, 0]);
        await relay.SendUdpAsync(relay.Frame(RelayFrameKind.Keepalive));
        await relay.SendUdpAsync(relay.Frame(RelayFrameKind.Datagram, RelayHarness.Peer, [5]));

        // The last good frame arrives after all the bad ones (one socket, in order on loopback).
        Assert.Equal(new byte[] { 1 }, (await h.Inbound.NextAsync()).Datagram);
        Assert.Equal(new byte[] { 5 }, (await h.Inbound.NextAsync()).Datagram);
        await RelayHarness.Eventually(() => h.Underlay.NotOurs == 1, "the frame from another address is not taken as the relay's");
        var c = h.Client.Counters;
        Assert.Equal((1, 1, 1, 1, 1, 1), (c[RelayDrop.Replay], c[RelayDrop.BadTag], c[RelayDrop.UnknownSession], c[RelayDrop.UnknownSource], c[RelayDrop.Malformed], c[RelayDrop.UnexpectedKind]));
        Assert.Equal(0, h.Inbound.Received.Reader.Count);
        Assert.Equal(2, c.For(RelayHarness.Peer).RxDatagrams(RelayTransport.Udp));
    }

    [Fact]
    public async Task Frame_FromAnAddressNoRelayUses_IsNotConsumed()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator");
        await h.StartAsync();
        Assert.True(PeerEndpoint.TryParse("127.0.0.1:9", out var stranger));

        Assert.False(h.Client.TryHandleUdpFrame(relay.Frame(RelayFrameKind.KeepaliveAnswer), stranger));
        Assert.Equal(1, h.Client.Counters[RelayDrop.UnknownSource]);
    }

    [Fact]
    public async Task UnansweredKeepalives_FallBackToTls_AndAnAnswerBringsUdpBack()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator");
        h.SetPeer("coordinator");
        await h.StartAsync();
        await UdpUpAsync(h, relay);

        // Keepalives go out at 2, 4 and 6 s; the relay answers none of them, and 5 s without an answer is down.
        for (var i = 0; i < 3; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(2));
            await relay.ReceiveUdpAsync(RelayFrameKind.Keepalive);
        }

        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(RelayTransport.Tls, h.Client.TransportFor(RelayHarness.Peer));
        Assert.True(h.Client.Send(RelayHarness.Peer, [4, 0, 0, 0, 1]));
        Assert.Equal(new byte[] { 4, 0, 0, 0, 1 }, (await relay.Sent.Reader.ReadAsync().AsTask().WaitAsync(FakeRelayServer.Wait)).Payload.ToByteArray());

        h.Time.Advance(TimeSpan.FromSeconds(1));
        await relay.ReceiveUdpAsync(RelayFrameKind.Keepalive);
        await relay.SendUdpAsync(relay.Frame(RelayFrameKind.KeepaliveAnswer));
        await RelayHarness.Eventually(() => h.Client.TransportFor(RelayHarness.Peer) == RelayTransport.Udp, "UDP is back after an answer");

        Assert.True(h.Client.Send(RelayHarness.Peer, [4, 0, 0, 0, 2]));
        var (frame, header) = await relay.ReceiveUdpAsync(RelayFrameKind.Datagram);
        Assert.Equal(2, frame[header.PayloadOffset + header.PayloadLength - 1]);
        var counters = h.Client.Counters.For(RelayHarness.Peer);
        Assert.Equal((1, 1), (counters.TxDatagrams(RelayTransport.Tls), counters.TxDatagrams(RelayTransport.Udp)));
    }

    [Fact]
    public async Task Frame_FromTheRelaysAddressWhileItsStreamIsDown_IsConsumedAsUnknownSession()
    {
        await using var h = new RelayHarness();
        var relay = await h.AddRelayAsync("coordinator");
        h.SetPeer("coordinator");
        await h.StartAsync();
        await UdpUpAsync(h, relay);
        var stale = relay.Frame(RelayFrameKind.Datagram, RelayHarness.Peer, [1]);

        relay.Kick();
        await RelayHarness.Eventually(() => h.Client.Sessions["coordinator"].Connection is null, "the kicked stream is noticed");
        await relay.SendUdpAsync(stale);

        await RelayHarness.Eventually(() => h.Client.Counters[RelayDrop.UnknownSession] == 1, "the stale frame is counted");
        Assert.Equal(0, h.Underlay.NotOurs);
        Assert.Equal(0, h.Inbound.Received.Reader.Count);
        Assert.Equal(RelayTransport.None, h.Client.TransportFor(RelayHarness.Peer));
    }

    private static async Task UdpUpAsync(RelayHarness h, FakeRelayServer relay)
    {
        await h.AnswerKeepaliveAsync(relay);
        await RelayHarness.Eventually(() => h.Client.TransportFor(RelayHarness.Peer) == RelayTransport.Udp || h.Client.Sessions[relay.Id].UdpUp, "UDP is up");
    }
}
