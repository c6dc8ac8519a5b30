using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Tests.Harness;

namespace MeshPorts.WireGuard.Tests.Engine;

/// <summary>
/// Make-before-break static key rotation: B learns A's new key (ReplacePeerKey), then A switches
/// (RotatePrivateKey). A ping in both directions must lose nothing across both steps.
/// </summary>
public class KeyRotationTests
{
    private static List<int> All(int count) => [.. Enumerable.Range(0, count)];

    [Fact]
    public void ReplaceThenRotate_UnderAPingBothWays_LosesNothing_AndEndsOnASessionUnderTheNewKeys()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        var ping = new PingStream(net, a, b, bOnA, aOnB);
        var k1 = a.PublicKey;
        var k2Private = WgKey.GeneratePrivate();
        var k2 = k2Private.PublicFromPrivate();

        ping.Run(TimeSpan.FromSeconds(5));
        Assert.True(b.Engine.ReplacePeerKey(k1, k2));
        ping.Run(TimeSpan.FromSeconds(5));

        var switchedAt = net.Time.GetUtcNow();
        var switchedTicks = a.Engine.Now();
        a.Engine.RotatePrivateKey(k2Private);
        ping.Run(TimeSpan.FromSeconds(20));

        Assert.Equal(600, ping.Sent);
        Assert.Empty(ping.Refused);
        Assert.Equal(All(ping.Sent), ping.ReceivedByB());
        Assert.Equal(All(ping.Sent), ping.ReceivedByA());
        Assert.Equal(0, a.Engine.Counters.TotalDrops + b.Engine.Counters.TotalDrops);

        // The session in use on both sides came from a handshake after the switch, and it is one session.
        Assert.Equal(k2, a.Engine.PublicKey);
        Assert.Equal(2, a.Engine.Counters.HandshakesCompleted);
        Assert.Equal(2, b.Engine.Counters.HandshakesCompleted);
        Assert.True(bOnA.LastHandshake > switchedAt);
        Assert.True(aOnB.LastHandshake > switchedAt);
        var onA = bOnA.Current!;
        var onB = aOnB.Current!;
        Assert.True(onA.Created >= switchedTicks);
        Assert.True(onB.Created >= switchedTicks);
        Assert.Equal(onA.LocalIndex, onB.RemoteIndex);
        Assert.Equal(onB.LocalIndex, onA.RemoteIndex);

        // Someone who kept only the old private key K1 cannot handshake with B any more.
        var attacker = new TestNode(net, new WireGuardEngine(net.Time, new Random(99)), a.PrivateKey, TestNetwork.Endpoint("203.0.113.66:51820"));
        var bOnAttacker = attacker.Engine.AddPeer(b.PublicKey);
        bOnAttacker.Endpoint = b.Endpoint;
        var responses = b.Engine.Counters.ResponsesSent;
        Assert.Equal(OutboundAction.Queued, attacker.Send(bOnAttacker, Packets.Make(20, 1)).Action);
        net.Pump();
        Assert.Equal(DropReason.RetiredPeerKey, b.Results[^1].Reason);
        Assert.Equal(1, b.Engine.Counters.Drops(DropReason.RetiredPeerKey));
        Assert.Equal(responses, b.Engine.Counters.ResponsesSent);
        Assert.Same(onB, aOnB.Current);
    }

    [Fact]
    public void Rotation_AcrossTheRekeyAfterTimeBoundary_LosesNothing_AndCountsOldKeyInitiationsAsRetired()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        var ping = new PingStream(net, a, b, bOnA, aOnB);
        var k2Private = WgKey.GeneratePrivate();

        ping.Run(TimeSpan.FromSeconds(110));
        Assert.True(b.Engine.ReplacePeerKey(a.PublicKey, k2Private.PublicFromPrivate()));

        // A's rekey at 120 s still uses K1; B refuses it and the old session keeps carrying the ping.
        ping.Run(TimeSpan.FromSeconds(25));
        Assert.Equal(1, a.Engine.Counters.HandshakesCompleted);
        var retired = b.Engine.Counters.Drops(DropReason.RetiredPeerKey);
        Assert.InRange(retired, 3, 4);
        Assert.Equal(retired, b.Engine.Counters.TotalDrops);
        Assert.Equal(All(ping.Sent), ping.ReceivedByB());

        var switchedTicks = a.Engine.Now();
        a.Engine.RotatePrivateKey(k2Private);

        // Past 180 s, where the first session is rejected: only the new one can carry this.
        ping.Run(TimeSpan.FromSeconds(65));
        Assert.Empty(ping.Refused);
        Assert.Equal(All(ping.Sent), ping.ReceivedByB());
        Assert.Equal(All(ping.Sent), ping.ReceivedByA());
        Assert.Equal(2, a.Engine.Counters.HandshakesCompleted);
        Assert.True(bOnA.Current!.Created >= switchedTicks);
        Assert.Equal(bOnA.Current.LocalIndex, aOnB.Current!.RemoteIndex);
        Assert.Equal(0, a.Engine.Counters.TotalDrops);
        Assert.Equal(retired, b.Engine.Counters.TotalDrops);
    }

    [Fact]
    public void RotatePrivateKey_WhenThePeerNeverLearnsTheNewKey_KeepsTheOldSessionUntilRejectAfterTime_ThenFailsClosed()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        var ping = new PingStream(net, a, b, bOnA, aOnB);

        ping.Run(TimeSpan.FromSeconds(10));
        a.Engine.RotatePrivateKey(WgKey.GeneratePrivate());
        ping.Run(TimeSpan.FromSeconds(230));

        // B cannot know who K2 is: A's new handshakes are refused, and nothing fails open.
        Assert.True(b.Engine.Counters.Drops(DropReason.UnknownPeer) > 0);
        Assert.Equal(1, a.Engine.Counters.HandshakesCompleted);

        // The session made at 0.05 s carries data until it is 180 s old, and then nothing gets through.
        var rejectAfter = TimeSpan.FromSeconds(180.05);
        var beforeExpiry = Enumerable.Range(0, ping.Sent).Where(i => ping.SentAt[i] < rejectAfter).ToList();
        Assert.Equal(beforeExpiry, ping.ReceivedByB());
        Assert.Equal(beforeExpiry, ping.ReceivedByA());
        Assert.True(ping.Sent > beforeExpiry.Count + 1000);
    }

    [Fact]
    public void ReplacePeerKey_KeepsThePeerObject_WithItsEndpointStateAndSession()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 1));
        net.Pump();
        aOnB.DeviceState = "allowed-ips";
        aOnB.PersistentKeepaliveInterval = 25;
        var session = aOnB.Current;
        var newKey = WgKey.GeneratePrivate().PublicFromPrivate();

        Assert.True(b.Engine.ReplacePeerKey(a.PublicKey, newKey));

        Assert.False(b.Engine.TryGetPeer(a.PublicKey, out _));
        Assert.True(b.Engine.TryGetPeer(newKey, out var same));
        Assert.Same(aOnB, same);
        Assert.Equal(newKey, aOnB.PublicKey);
        Assert.Equal(a.Endpoint, aOnB.Endpoint);
        Assert.Equal("allowed-ips", aOnB.DeviceState);
        Assert.Equal(25, aOnB.PersistentKeepaliveInterval);
        Assert.Same(session, aOnB.Current);
        Assert.Single(b.Engine.GetPeers());
    }

    [Fact]
    public void ReplacePeerKey_WithAnUnknownOldKey_ReturnsFalse_AndChangesNothing()
    {
        var net = new TestNetwork();
        var (a, b, _, aOnB) = net.Pair();
        var stranger = WgKey.GeneratePrivate().PublicFromPrivate();

        Assert.False(b.Engine.ReplacePeerKey(stranger, WgKey.GeneratePrivate().PublicFromPrivate()));
        Assert.True(b.Engine.TryGetPeer(a.PublicKey, out var peer));
        Assert.Same(aOnB, peer);
        Assert.Single(b.Engine.GetPeers());
    }

    [Fact]
    public void ReplacePeerKey_ToOurOwnKey_OrToAnotherPeersKey_Throws_AndChangesNothing()
    {
        var net = new TestNetwork();
        var (a, b, _, aOnB) = net.Pair();
        var other = b.Engine.AddPeer(WgKey.GeneratePrivate().PublicFromPrivate());

        Assert.Throws<ArgumentException>(() => b.Engine.ReplacePeerKey(a.PublicKey, b.PublicKey));
        Assert.Throws<ArgumentException>(() => b.Engine.ReplacePeerKey(a.PublicKey, other.PublicKey));

        Assert.Equal(a.PublicKey, aOnB.PublicKey);
        Assert.True(b.Engine.TryGetPeer(a.PublicKey, out var stillA));
        Assert.Same(aOnB, stillA);
        Assert.True(b.Engine.TryGetPeer(other.PublicKey, out var stillOther));
        Assert.Same(other, stillOther);
    }

    [Fact]
    public void ReplacePeerKey_DropsTheInFlightInitiation_AndTheRetryUsesTheNewKey()
    {
        var net = new TestNetwork();
        var (a, b, _, aOnB) = net.Pair(bothEndpoints: true);
        var k2Private = WgKey.GeneratePrivate();
        var packet = Packets.Make(40, 3);
        b.Send(aOnB, packet);
        net.Deliverable = d => d.Type != 2;
        net.Pump();
        var oldResponse = net.Log.Single(d => d.Type == 2);
        net.Deliverable = _ => true;

        // A answered the initiation sealed to K1; after the replace that exchange no longer exists on B.
        Assert.True(b.Engine.ReplacePeerKey(a.PublicKey, k2Private.PublicFromPrivate()));
        Assert.Equal(DropReason.UnknownIndex, b.Receive(oldResponse.Data, oldResponse.From).Reason);
        Assert.False(aOnB.HasCurrentKeypair);

        // A's own re-handshake is lost here, so the session below can only come from B's retry.
        a.Engine.RotatePrivateKey(k2Private);
        net.Deliverable = d => !(d.Type == 1 && d.From == a.Endpoint);
        net.Run(TimeSpan.FromSeconds(6));

        Assert.Equal(2, b.Engine.Counters.InitiationsSent);
        Assert.True(aOnB.HasCurrentKeypair);
        Assert.True(aOnB.Current!.IsInitiator);
        Assert.Equal(packet, Assert.Single(a.Tun)[..40]);
    }

    [Fact]
    public void RotatePrivateKey_RemovesAPeerWithTheNewPublicKey_AndKeepsTheOtherSessions()
    {
        var net = new TestNetwork();
        var (a, _, bOnA, _) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 1));
        net.Pump();
        var session = bOnA.Current;
        var newPrivate = WgKey.GeneratePrivate();
        a.Engine.AddPeer(newPrivate.PublicFromPrivate());

        a.Engine.RotatePrivateKey(newPrivate);

        Assert.Same(bOnA, Assert.Single(a.Engine.GetPeers()));
        Assert.Same(session, bOnA.Current);
        Assert.False(session!.IsRetired);
        Assert.Equal(newPrivate.PublicFromPrivate(), a.Engine.PublicKey);
    }

    [Fact]
    public void RotatePrivateKey_StartsAHandshakeAtTheNextTick_OnlyWithPeersThatHaveASession()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 1));
        net.Pump();
        var idle = a.Engine.AddPeer(WgKey.GeneratePrivate().PublicFromPrivate());
        idle.Endpoint = TestNetwork.Endpoint("192.0.2.77:51820");
        var k2Private = WgKey.GeneratePrivate();
        Assert.True(b.Engine.ReplacePeerKey(a.PublicKey, k2Private.PublicFromPrivate()));

        a.Engine.RotatePrivateKey(k2Private);
        Assert.Equal(1, a.Engine.Counters.InitiationsSent);
        net.Run(TimeSpan.FromMilliseconds(500));

        Assert.Equal(2, a.Engine.Counters.InitiationsSent);
        Assert.Equal(0, net.Count(d => d.To == idle.Endpoint));
        Assert.Equal(2, a.Engine.Counters.HandshakesCompleted);
    }
    [Fact]
    public void RotatePrivateKey_OnAResponderWhoseSessionIsNotYetConfirmed_AlsoStartsAHandshake()
    {
        var net = new TestNetwork();
        var (a, b, _, aOnB) = net.Pair(bothEndpoints: true);

        // B initiates; A answers, but B's confirming packet is lost, so A holds only a "next" session.
        net.Deliverable = d => d.Type != 4;
        b.Send(aOnB, Packets.Make(20, 1));
        net.Pump();
        Assert.True(a.Engine.TryGetPeer(b.PublicKey, out var bOnA));
        Assert.False(bOnA.HasCurrentKeypair);
        Assert.Equal(1, a.Engine.Counters.ResponsesSent);
        var k2Private = WgKey.GeneratePrivate();
        Assert.True(b.Engine.ReplacePeerKey(a.PublicKey, k2Private.PublicFromPrivate()));

        a.Engine.RotatePrivateKey(k2Private);
        net.Deliverable = _ => true;
        net.Run(TimeSpan.FromMilliseconds(500));

        Assert.Equal(1, a.Engine.Counters.InitiationsSent);
        Assert.True(bOnA.HasCurrentKeypair);
        Assert.True(bOnA.Current!.IsInitiator, "the session in use is A's handshake under the new key");
    }
}
