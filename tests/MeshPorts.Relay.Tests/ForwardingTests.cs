using Google.Protobuf;
using MeshPorts.Contracts.Relay;
using MeshPorts.Relay.Tests.Support;

namespace MeshPorts.Relay.Tests;

public sealed class ForwardingTests
{
    private static Datagram To(string peer, byte[] payload) => new() { PeerNodeId = peer, Payload = ByteString.CopyFrom(payload) };

    [Fact]
    public void Tls_ToAPeerWhoseTicketNamesTheSender_ArrivesByteExact_OnItsStream()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        var payload = System.Security.Cryptography.RandomNumberGenerator.GetBytes(1400);
        relay.Core.Send(a.Session!, To(b.Id, payload));

        var received = Assert.Single(b.DrainTls());
        Assert.Equal(a.Id, received.PeerNodeId);
        Assert.Equal(payload, received.Payload.ToByteArray());
        Assert.Equal(1, relay.Core.Counters.ForwardedDatagrams(RelayTransport.Tls));
        Assert.Equal(1400, relay.Core.Counters.ForwardedBytes(RelayTransport.Tls));
        Assert.Empty(relay.Udp.Sent);
    }

    [Fact]
    public void NotAllowedPair_ANamesB_ButBDoesNotNameA_IsDroppedBothWays()
    {
        using var relay = new TestRelay();
        var a = relay.Node("n_aaaaaaaaaaaaaaaa");
        var b = relay.Node("n_bbbbbbbbbbbbbbbb");
        a.Connect([b.Id]);
        b.Connect(["n_someone_else"]);

        relay.Core.Send(a.Session!, To(b.Id, [1, 2, 3]));
        relay.Core.Send(b.Session!, To(a.Id, [1, 2, 3]));
        Assert.Empty(b.DrainTls());
        Assert.Empty(a.DrainTls());
        Assert.Equal(2, relay.Dropped(RelayDropReason.NotAllowed));
        Assert.Equal(0, relay.Core.Counters.ForwardedDatagrams(RelayTransport.Tls));
    }

    [Fact]
    public void ToAPeerNotConnected_IsNoDestination_AndToAPeerNotInTheTicket_IsNotAllowed()
    {
        using var relay = new TestRelay();
        var a = relay.Node("n_aaaaaaaaaaaaaaaa");
        a.Connect(["n_offline"]);
        var c = relay.Node("n_cccccccccccccccc");
        c.Connect([a.Id]);

        relay.Core.Send(a.Session!, To("n_offline", [1]));
        relay.Core.Send(a.Session!, To(c.Id, [1]));
        Assert.Equal(1, relay.Dropped(RelayDropReason.NoDestination));
        Assert.Equal(1, relay.Dropped(RelayDropReason.NotAllowed));
        Assert.Empty(c.DrainTls());
    }

    [Fact]
    public void AfterARenewedTicketDropsThePeer_NothingMoreIsForwarded()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        relay.Core.Send(a.Session!, To(b.Id, [7]));
        Assert.Single(b.DrainTls());

        relay.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(relay.Core.Renew(b.Session!, relay.Ticket(b, [])));
        relay.Core.Send(a.Session!, To(b.Id, [7]));
        Assert.Empty(b.DrainTls());
        Assert.Equal(1, relay.Dropped(RelayDropReason.NotAllowed));
    }

    [Fact]
    public void ToAPeerWhoseTicketExpired_IsDropped_AndItsSessionEnds()
    {
        using var relay = new TestRelay();
        var a = relay.Node("n_aaaaaaaaaaaaaaaa");
        var b = relay.Node("n_bbbbbbbbbbbbbbbb");
        b.Connect([a.Id]);
        relay.Time.Advance(TimeSpan.FromMinutes(9));
        a.Connect([b.Id]);
        relay.Time.Advance(TimeSpan.FromMinutes(1));

        relay.Core.Send(a.Session!, To(b.Id, [7]));
        Assert.True(b.Session!.Ended.IsCancellationRequested);
        Assert.Empty(b.DrainTls());
        Assert.Equal(0, relay.Core.Counters.ForwardedDatagrams(RelayTransport.Tls));
    }

    [Fact]
    public void Udp_ToAPeerWithAFreshUdpAddress_ArrivesByteExact_AsAFrameTaggedForItsKey_NoLargerThanWhatCameIn()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        b.SendUdp(b.Keepalive());
        relay.Udp.Sent.Clear();

        var payload = System.Security.Cryptography.RandomNumberGenerator.GetBytes(1200);
        var frame = a.DatagramFrame(b.Id, payload);
        a.SendUdp(frame);

        var (sent, to) = Assert.Single(relay.Udp.Sent);
        Assert.Equal(b.UdpSource, to);
        var (kind, peer, got) = b.Open(sent);
        Assert.Equal(RelayFrameKind.Datagram, kind);
        Assert.Equal(a.Id, peer);
        Assert.Equal(payload, got);
        Assert.True(sent.Length <= frame.Length, "one frame in is at most one frame out, never larger");
        Assert.Equal(1, relay.Core.Counters.ForwardedDatagrams(RelayTransport.Udp));
        Assert.Equal(1200, relay.Core.Counters.ForwardedBytes(RelayTransport.Udp));
        Assert.Empty(b.DrainTls());
    }

    [Fact]
    public void Udp_ToAPeerSilentForOverTenSeconds_GoesOnItsTlsStream()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        b.SendUdp(b.Keepalive());
        relay.Time.Advance(TimeSpan.FromSeconds(11));
        relay.Udp.Sent.Clear();

        a.SendUdp(a.DatagramFrame(b.Id, [9, 9]));
        Assert.Empty(relay.Udp.Sent);
        var received = Assert.Single(b.DrainTls());
        Assert.Equal([9, 9], received.Payload.ToByteArray());
    }

    [Fact]
    public void Tls_ToAPeerWithAFreshUdpAddress_LeavesOnUdp_WhenTheHostGaveASocket()
    {
        using var relay = new TestRelay();
        relay.Core.UdpSender = relay.Udp;
        var (a, b) = relay.Pair();
        b.SendUdp(b.Keepalive());
        relay.Udp.Sent.Clear();

        relay.Core.Send(a.Session!, To(b.Id, [5, 6, 7]));
        var (sent, _) = Assert.Single(relay.Udp.Sent);
        Assert.Equal([5, 6, 7], b.Open(sent).Payload);
    }

    [Fact]
    public void NoAmplification_EveryDatagramInGivesAtMostOneOut_WithNoMoreBytes()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        b.SendUdp(b.Keepalive());
        relay.Udp.Sent.Clear();
        long inBytes = 0;
        for (var i = 1; i <= 100; i++)
        {
            var frame = a.DatagramFrame(b.Id, new byte[i * 10]);
            inBytes += frame.Length;
            a.SendUdp(frame);
            a.SendUdp(frame);
            relay.Core.Send(a.Session!, To("n_not_a_peer", new byte[i]));
        }

        Assert.Equal(100, relay.Udp.Sent.Count);
        Assert.True(relay.Udp.Sent.Sum(s => (long)s.Datagram.Length) <= inBytes);
        Assert.Equal(100, relay.Dropped(RelayDropReason.Replay));
        Assert.Equal(100, relay.Dropped(RelayDropReason.NotAllowed));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(RelayLimits.MaxPayload + 1)]
    public void Tls_WithAnEmptyOrOversizePayload_IsMalformed(int size)
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        relay.Core.Send(a.Session!, To(b.Id, new byte[size]));
        relay.Core.Send(a.Session!, new Datagram { Payload = ByteString.CopyFrom(1) });
        Assert.Empty(b.DrainTls());
        Assert.Equal(2, relay.Dropped(RelayDropReason.Malformed));
    }

    [Fact]
    public void Tls_AtTheLargestPayload_IsForwarded()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        relay.Core.Send(a.Session!, To(b.Id, new byte[RelayLimits.MaxPayload]));
        Assert.Equal(RelayLimits.MaxPayload, Assert.Single(b.DrainTls()).Payload.Length);
    }

    [Fact]
    public void APeerThatSendsOnTls_IsAnsweredOnTls_UntilAGoodUdpFrameFromItSaysUdpWorksAgain()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        b.SendUdp(b.Keepalive());
        relay.Udp.Sent.Clear();
        a.SendUdp(a.DatagramFrame(b.Id, [1]));
        Assert.Single(relay.Udp.Sent, s => s.To.Equals(b.UdpSource));

        // b's UDP looks dead to b (its keepalive answers stopped), so it sends on TLS: a's next datagram to b
        // must not go to a UDP address that is fresh by the clock but dead in fact.
        relay.Core.Send(b.Session!, new Datagram { PeerNodeId = a.Id, Payload = Google.Protobuf.ByteString.CopyFrom([2]) });
        relay.Udp.Sent.Clear();
        a.SendUdp(a.DatagramFrame(b.Id, [3]));
        Assert.DoesNotContain(relay.Udp.Sent, s => s.To.Equals(b.UdpSource));
        Assert.Equal([3], Assert.Single(b.DrainTls()).Payload.ToByteArray());

        relay.Time.Advance(TimeSpan.FromMilliseconds(1));
        b.SendUdp(b.Keepalive());
        relay.Udp.Sent.Clear();
        a.SendUdp(a.DatagramFrame(b.Id, [4]));
        Assert.Single(relay.Udp.Sent, s => s.To.Equals(b.UdpSource));
        Assert.Empty(b.DrainTls());
    }
}
