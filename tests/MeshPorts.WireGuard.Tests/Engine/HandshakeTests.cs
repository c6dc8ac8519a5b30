using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Tests.Harness;

namespace MeshPorts.WireGuard.Tests.Engine;

public class HandshakeTests
{
    [Fact]
    public void FirstPacket_IsStaged_ThenDeliveredAfterTheHandshake_AndTheReplyComesBack()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        var packet = Packets.Make(100, 1);

        var first = a.Send(bOnA, packet);
        Assert.Equal(OutboundAction.Queued, first.Action);
        Assert.Single(net.Log, d => d.Type == 1 && d.Data.Length == 148);

        net.Pump();
        Assert.Single(net.Log, d => d.Type == 2 && d.Data.Length == 92);
        Assert.True(bOnA.HasCurrentKeypair);
        Assert.True(aOnB.HasCurrentKeypair, "the responder's session is confirmed by the initiator's first packet");
        Assert.Single(b.Tun);
        Assert.Equal(packet, b.Tun[0][..100]);

        // The responder learned A's endpoint from the authenticated initiation and can answer directly.
        Assert.Equal(a.Endpoint, aOnB.Endpoint);
        var reply = Packets.Make(60, 2);
        var sent = b.Send(aOnB, reply);
        Assert.Equal(OutboundAction.Send, sent.Action);
        Assert.Equal(a.Endpoint, sent.Endpoint);
        net.Pump();
        Assert.Equal(reply, a.Tun.Single()[..60]);

        Assert.NotNull(bOnA.LastHandshake);
        Assert.NotNull(aOnB.LastHandshake);
        Assert.Equal(2, a.Engine.Counters.HandshakesCompleted + b.Engine.Counters.HandshakesCompleted);
        Assert.Equal(1, bOnA.HandshakesCompleted);
        Assert.Equal(1, aOnB.HandshakesCompleted);
        Assert.Equal(0, a.Engine.Counters.TotalDrops + b.Engine.Counters.TotalDrops);
    }

    [Fact]
    public void Transport_PadsPlaintextToSixteenBytes_AndReceiverSeesZeroPadding()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 9));
        net.Pump();

        var packet = Packets.Make(17, 3);
        var result = a.Send(bOnA, packet);
        Assert.Equal(OutboundAction.Send, result.Action);
        Assert.Equal(16 + 32 + 16, result.Length);
        net.Pump();

        var received = b.Tun[^1];
        Assert.Equal(32, received.Length);
        Assert.Equal(packet, received[..17]);
        Assert.All(received[17..], x => Assert.Equal(0, x));
    }

    [Fact]
    public void Outbound_WithThePacketAlreadyInPlaceAfterTheHeader_EncryptsWithoutACopy()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 9));
        net.Pump();

        var packet = Packets.Make(45, 6);
        var buffer = new byte[16 + 48 + 16];
        packet.CopyTo(buffer, 16);
        var result = a.Engine.ProcessOutbound(bOnA, buffer.AsSpan(16, packet.Length), buffer, a);
        Assert.Equal(OutboundAction.Send, result.Action);
        b.Receive(buffer.AsSpan(0, result.Length), a.Endpoint);
        Assert.Equal(packet, b.Tun[^1][..45]);
    }

    [Fact]
    public void EmptyPacket_IsAKeepalive_ThatTheReceiverAcceptsWithoutTunOutput()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 9));
        net.Pump();
        var tunBefore = b.Tun.Count;

        var result = a.Send(bOnA, []);
        Assert.Equal(OutboundAction.Send, result.Action);
        Assert.Equal(32, result.Length);
        net.Pump();

        var last = b.Results[^1];
        Assert.Equal(InboundAction.None, last.Action);
        Assert.Same(aOnB, last.Peer);
        Assert.Equal(tunBefore, b.Tun.Count);
    }

    [Fact]
    public void PresharedKey_OnBothSides_Works()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        var psk = WgKey.GeneratePrivate();
        bOnA.PresharedKey = psk;
        aOnB.PresharedKey = psk;

        a.Send(bOnA, Packets.Make(40, 5));
        net.Pump();
        Assert.Single(b.Tun);
        Assert.Equal(psk, bOnA.PresharedKey);
    }

    [Fact]
    public void PresharedKey_OnOneSideOnly_FailsTheHandshake()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        bOnA.PresharedKey = WgKey.GeneratePrivate();

        a.Send(bOnA, Packets.Make(40, 5));
        net.Pump();

        Assert.False(bOnA.HasCurrentKeypair);
        Assert.Empty(b.Tun);
        Assert.Equal(1, a.Engine.Counters.Drops(DropReason.DecryptFailed));
    }

    [Fact]
    public void ReplayedTransportPacket_IsDropped()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 9));
        net.Pump();
        a.Send(bOnA, Packets.Make(30, 1));
        net.Pump();
        var captured = net.Log.Last(d => d.Type == 4);

        var replay = b.Receive(captured.Data, captured.From);
        Assert.Equal(InboundAction.Drop, replay.Action);
        Assert.Equal(DropReason.Replay, replay.Reason);
    }

    [Fact]
    public void ReplayedInitiation_WithOldTimestamp_IsDropped()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 9));
        net.Pump();
        var initiation = net.Log.First(d => d.Type == 1);
        var responsesBefore = b.Engine.Counters.ResponsesSent;

        net.Time.Advance(TimeSpan.FromSeconds(1));
        var result = b.Receive(initiation.Data, initiation.From);

        Assert.Equal(DropReason.StaleTimestamp, result.Reason);
        Assert.Equal(responsesBefore, b.Engine.Counters.ResponsesSent);
        Assert.True(aOnB.HasCurrentKeypair, "a replay must not disturb the live session");
    }

    [Fact]
    public void NewerInitiation_AfterAnOlderOne_IsAccepted_ButTheOlderOneLaterIsNot()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 9));
        var older = net.Log.Single(d => d.Type == 1);
        net.DropQueued();

        // The retry 5 s later carries a newer timestamp.
        net.Run(TimeSpan.FromSeconds(6));
        Assert.True(bOnA.HasCurrentKeypair);
        var result = b.Receive(older.Data, older.From);
        Assert.Equal(DropReason.StaleTimestamp, result.Reason);
    }

    [Fact]
    public void Roaming_AuthenticatedPacketFromNewAddress_UpdatesEndpoint_ForgedOneDoesNot()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 9));
        net.Pump();
        Assert.Equal(a.Endpoint, aOnB.Endpoint);

        // A forged transport packet with a valid receiver index but a wrong tag, from elsewhere.
        var genuine = net.Log.Last(d => d.Type == 4).Data.ToArray();
        genuine[^1] ^= 1;
        var attacker = TestNetwork.Endpoint("203.0.113.66:6666");
        var forged = b.Receive(genuine, attacker);
        Assert.Equal(DropReason.DecryptFailed, forged.Reason);
        Assert.Equal(a.Endpoint, aOnB.Endpoint);

        // A moves; its next authenticated packet teaches B the new address.
        a.Endpoint = TestNetwork.Endpoint("[2001:db8::a]:40000");
        a.Send(bOnA, Packets.Make(20, 4));
        net.Pump();
        Assert.Equal(a.Endpoint, aOnB.Endpoint);
        var answer = b.Send(aOnB, Packets.Make(20, 5));
        Assert.Equal(a.Endpoint, answer.Endpoint);
    }

    [Fact]
    public void RoamingOff_AuthenticatedPacketsFromNewAddress_LeaveTheEndpoint_WhileSettingItStillWorks()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        var owned = TestNetwork.Endpoint("192.0.2.77:51820");
        aOnB.Roaming = false;
        aOnB.Endpoint = owned;

        // The initiation, and then transport data, come from A's real address: neither moves the endpoint.
        a.Send(bOnA, Packets.Make(20, 1));
        net.Pump();
        Assert.Single(b.Tun);
        Assert.Equal(owned, aOnB.Endpoint);
        a.Endpoint = TestNetwork.Endpoint("[2001:db8::a]:40000");
        a.Send(bOnA, Packets.Make(20, 2));
        net.Pump();
        Assert.Equal(2, b.Tun.Count);
        Assert.Equal(owned, aOnB.Endpoint);
        Assert.Equal(owned, b.Send(aOnB, Packets.Make(20, 3)).Endpoint);

        // Whoever owns the endpoint moves it; turning roaming back on lets the next packet move it.
        aOnB.Endpoint = a.Endpoint;
        Assert.Equal(a.Endpoint, b.Send(aOnB, Packets.Make(20, 4)).Endpoint);
        aOnB.Roaming = true;
        a.Endpoint = TestNetwork.Endpoint("192.0.2.9:1234");
        a.Send(bOnA, Packets.Make(20, 5));
        net.Pump();
        Assert.Equal(a.Endpoint, aOnB.Endpoint);
    }

    [Fact]
    public void UnknownPeer_Initiation_IsDropped()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        b.Engine.RemovePeer(a.PublicKey);

        a.Send(bOnA, Packets.Make(20, 9));
        net.Pump();
        Assert.Equal(1, b.Engine.Counters.Drops(DropReason.UnknownPeer));
        Assert.Empty(b.Tun);
    }

    [Fact]
    public void RemovePeer_FreesIndices_AndItsSessionNoLongerDecrypts()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 9));
        net.Pump();
        Assert.True(b.Engine.Indices.Count > 0);

        a.Send(bOnA, Packets.Make(20, 1));
        var inFlight = net.Log.Last(d => d.Type == 4);
        net.DropQueued();
        Assert.True(b.Engine.RemovePeer(a.PublicKey));
        Assert.Equal(0, b.Engine.Indices.Count);
        Assert.Equal(DropReason.UnknownIndex, b.Receive(inFlight.Data, inFlight.From).Reason);
        Assert.False(b.Engine.RemovePeer(a.PublicKey));
    }

    [Fact]
    public void SetPrivateKey_ToANewKey_DropsSessions_AndRemovesAPeerWithThatPublicKey()
    {
        var net = new TestNetwork();
        var (a, _, bOnA, _) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 9));
        net.Pump();
        Assert.True(bOnA.HasCurrentKeypair);

        var other = WgKey.GeneratePrivate();
        var otherPeer = a.Engine.AddPeer(other.PublicFromPrivate());
        a.Engine.SetPrivateKey(other);

        Assert.False(bOnA.HasCurrentKeypair);
        Assert.False(a.Engine.TryGetPeer(otherPeer.PublicKey, out _));
        Assert.Equal(other.PublicFromPrivate(), a.Engine.PublicKey);
        Assert.Single(a.Engine.GetPeers());
    }

    [Fact]
    public void SetPrivateKey_ToTheSameKey_KeepsSessions()
    {
        var net = new TestNetwork();
        var (a, _, bOnA, _) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 9));
        net.Pump();
        a.Engine.SetPrivateKey(a.PrivateKey);
        Assert.True(bOnA.HasCurrentKeypair);
    }

    [Fact]
    public void AddPeer_WithOurOwnPublicKey_Throws_AndTwiceReturnsTheSamePeer()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        Assert.Throws<ArgumentException>(() => a.Engine.AddPeer(a.PublicKey));
        Assert.Same(bOnA, a.Engine.AddPeer(b.PublicKey));
    }

    [Fact]
    public void NoPrivateKey_OutboundIsDropped()
    {
        var net = new TestNetwork();
        var (a, _, bOnA, _) = net.Pair();
        a.Engine.SetPrivateKey(null);
        var result = a.Send(bOnA, Packets.Make(20, 9));
        Assert.Equal(DropReason.NoPrivateKey, result.Reason);
        Assert.Null(a.Engine.PublicKey);
    }

    [Fact]
    public void PeerWithoutEndpoint_QueuesPackets_AndSendsThemOnceAnEndpointIsKnown()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        Assert.False(aOnB.Endpoint.IsSet);
        var result = b.Send(aOnB, Packets.Make(20, 9));
        Assert.Equal(OutboundAction.Queued, result.Action);
        Assert.Empty(net.Log);

        // A's handshake teaches B the endpoint; B's staged packet goes out once the session is confirmed.
        a.Send(bOnA, Packets.Make(20, 1));
        net.Pump();
        Assert.Single(a.Tun);
        Assert.Equal(Packets.Make(20, 9), a.Tun[0][..20]);
    }

    [Fact]
    public void Peer_WithALowOrderPublicKey_NeverGetsAnInitiation_AndNothingThrows()
    {
        var net = new TestNetwork();
        var a = net.AddNode("192.0.2.1:51820");
        var bogus = a.Engine.AddPeer(WgKey.FromBytes(new byte[32]));
        bogus.Endpoint = TestNetwork.Endpoint("192.0.2.9:51820");

        Assert.Equal(OutboundAction.Queued, a.Send(bogus, Packets.Make(20, 1)).Action);
        net.Run(TimeSpan.FromSeconds(6));
        Assert.Empty(net.Log);
        Assert.Equal(0, a.Engine.Counters.InitiationsSent);
    }

    [Fact]
    public void StagedQueue_IsBounded_AndCountsWhatItDrops()
    {
        var net = new TestNetwork();
        var (a, _, bOnA, _) = net.Pair();
        net.Deliverable = _ => false;
        for (var i = 0; i < Constants.MaxStagedPackets + 10; i++)
        {
            a.Send(bOnA, Packets.Make(20, (byte)i));
        }

        Assert.Equal(10, a.Engine.Counters.Drops(DropReason.QueueFull));
        Assert.Equal(1, a.Engine.Counters.InitiationsSent);
    }
}
