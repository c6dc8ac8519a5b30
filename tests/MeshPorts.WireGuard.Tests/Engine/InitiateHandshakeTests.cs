using MeshPorts.WireGuard.Tests.Harness;

namespace MeshPorts.WireGuard.Tests.Engine;

/// <summary>InitiateHandshake: the daemon's eager handshake with a new peer, and after a restart.</summary>
public class InitiateHandshakeTests
{
    /// <summary>Lets the network carry what is in flight, a millisecond at a time, without ticking.</summary>
    private static void Walk(TestNetwork net, int milliseconds)
    {
        for (var i = 0; i < milliseconds; i++)
        {
            net.Time.Advance(TimeSpan.FromMilliseconds(1));
            net.Pump();
        }
    }

    private static int Initiations(TestNetwork net, TestNode from) => net.Count(d => d.Type == 1 && d.From == from.Endpoint);

    [Fact]
    public void InitiateHandshake_WithANewPeer_MakesASessionOnBothSides_BeforeAnyData()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();

        Assert.True(a.Engine.InitiateHandshake(bOnA, a));
        net.Pump();

        Assert.True(bOnA.HasCurrentKeypair);
        Assert.True(aOnB.HasCurrentKeypair, "the initiator's keepalive confirms the responder's session");
        Assert.Empty(a.Tun);
        Assert.Empty(b.Tun);
        Assert.Equal(OutboundAction.Send, a.Send(bOnA, Packets.Make(20, 1)).Action);
        Assert.Equal(OutboundAction.Send, b.Send(aOnB, Packets.Make(20, 2)).Action);
        net.Pump();
        Assert.Single(a.Tun);
        Assert.Single(b.Tun);
        Assert.Equal(0, a.Engine.Counters.TotalDrops + b.Engine.Counters.TotalDrops);
    }

    [Fact]
    public void InitiateHandshake_WhileOneIsInFlight_OrWithinRekeyTimeout_SendsNothing()
    {
        var net = new TestNetwork();
        var (a, _, bOnA, _) = net.Pair();

        Assert.True(a.Engine.InitiateHandshake(bOnA, a));
        Assert.False(a.Engine.InitiateHandshake(bOnA, a));
        Assert.Equal(1, Initiations(net, a));
        net.Pump();

        // Done, but the last initiation went out less than REKEY_TIMEOUT ago (whitepaper section 6.4).
        net.Time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(a.Engine.InitiateHandshake(bOnA, a));
        Assert.Equal(1, Initiations(net, a));

        net.Time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(a.Engine.InitiateHandshake(bOnA, a));
        Assert.Equal(2, Initiations(net, a));
    }

    [Fact]
    public void InitiateHandshake_WhileAnUnansweredInitiationAwaitsItsRetry_LeavesItToTheRetransmitTimer()
    {
        var net = new TestNetwork();
        var (a, _, bOnA, _) = net.Pair();
        net.Deliverable = d => d.Type != 2;

        Assert.True(a.Engine.InitiateHandshake(bOnA, a));
        net.Pump();

        // Past REKEY_TIMEOUT but before the jittered retry: starting afresh would reset the give-up clock.
        net.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(a.Engine.InitiateHandshake(bOnA, a));
        Assert.Equal(1, Initiations(net, a));

        net.Deliverable = _ => true;
        net.Run(TimeSpan.FromSeconds(0.4));
        Assert.Equal(2, Initiations(net, a));
        Assert.True(bOnA.HasCurrentKeypair);
    }

    [Fact]
    public void InitiateHandshake_WithoutAnEndpoint_SendsNothing()
    {
        var net = new TestNetwork();
        var (a, b, _, aOnB) = net.Pair();

        Assert.False(b.Engine.InitiateHandshake(aOnB, b));
        Assert.Empty(net.Log);
        Assert.Throws<ArgumentException>(() => a.Engine.InitiateHandshake(aOnB, a));
    }

    [Fact]
    public void InitiateHandshake_AfterARestart_MovesThePeerOffItsStaleSession_WithinOneRoundTrip()
    {
        var net = new TestNetwork { Latency = TimeSpan.FromMilliseconds(10) };
        var (a, b, bOnA, aOnB) = net.Pair(bothEndpoints: true);
        a.Send(bOnA, Packets.Make(20, 1));
        net.Run(TimeSpan.FromSeconds(1));
        var stale = aOnB.Current;
        Assert.NotNull(stale);

        // B restarts knowing nothing; A still holds the session B forgot.
        b = net.Restart(b);
        aOnB = b.Engine.AddPeer(a.PublicKey);
        aOnB.Endpoint = a.Endpoint;
        Assert.True(b.Engine.InitiateHandshake(aOnB, b));

        // Initiation, response, keepalive: A has moved to the new session after a round trip and a half.
        Walk(net, 31);
        Assert.NotSame(stale, bOnA.Current);
        Assert.Equal(aOnB.Current!.LocalIndex, bOnA.Current!.RemoteIndex);
        var unknownBefore = b.Engine.Counters.Drops(DropReason.UnknownIndex);
        Assert.Equal(OutboundAction.Send, a.Send(bOnA, Packets.Make(20, 3)).Action);
        Walk(net, 10);
        Assert.Single(b.Tun);
        Assert.Equal(unknownBefore, b.Engine.Counters.Drops(DropReason.UnknownIndex));
    }
}
