using MeshPorts.WireGuard.Tests.Harness;

namespace MeshPorts.WireGuard.Tests.Engine;

/// <summary>Each timer of whitepaper section 6, driven by a fake clock.</summary>
public class TimerTests
{
    private static (TestNetwork Net, TestNode A, TestNode B, Peer BOnA, Peer AOnB) Established()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 9));
        net.Pump();
        Assert.True(aOnB.HasCurrentKeypair);
        return (net, a, b, bOnA, aOnB);
    }

    private static int Initiations(TestNetwork net, TestNode from) => net.Count(d => d.Type == 1 && d.From == from.Endpoint);

    [Fact]
    public void Initiator_SendingAfterRekeyAfterTime_StartsANewHandshake_ButNotBefore()
    {
        var (net, a, b, bOnA, aOnB) = Established();
        net.Time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal(OutboundAction.Send, a.Send(bOnA, Packets.Make(20, 1)).Action);
        Assert.Equal(1, Initiations(net, a));

        net.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(OutboundAction.Send, a.Send(bOnA, Packets.Make(20, 2)).Action);
        Assert.Equal(2, Initiations(net, a));

        // The responder never rekeys on send: it is the initiator's job (whitepaper section 6.2).
        Assert.Equal(OutboundAction.Send, b.Send(aOnB, Packets.Make(20, 3)).Action);
        Assert.Equal(0, Initiations(net, b));
        net.Pump();
        Assert.Equal(4, b.Tun.Count + a.Tun.Count);
    }

    [Fact]
    public void Session_OlderThanRejectAfterTime_IsNeitherUsedNorAccepted()
    {
        var (net, a, b, bOnA, _) = Established();
        net.Time.Advance(TimeSpan.FromSeconds(179));
        a.Send(bOnA, Packets.Make(20, 1));
        var old = net.Log.Last(d => d.Type == 4);
        net.DropQueued();

        net.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(DropReason.KeyExpired, b.Receive(old.Data, old.From).Reason);

        var result = a.Send(bOnA, Packets.Make(20, 2));
        Assert.Equal(OutboundAction.Queued, result.Action);
        Assert.Equal(2, Initiations(net, a));
    }

    [Fact]
    public void PassiveKeepalive_IsSentTenSecondsAfterReceivingData_WhenNothingWasSent()
    {
        var (net, a, b, bOnA, _) = Established();
        var before = b.Engine.Counters.KeepalivesSent;

        net.Run(TimeSpan.FromSeconds(9.9));
        Assert.Equal(before, b.Engine.Counters.KeepalivesSent);

        net.Run(TimeSpan.FromSeconds(0.2));
        Assert.Equal(before + 1, b.Engine.Counters.KeepalivesSent);

        // The keepalive reached A, so A's "no reply for 15 s" timer must not start a handshake.
        net.Run(TimeSpan.FromSeconds(10));
        Assert.Equal(1, Initiations(net, a));
        Assert.Equal(before + 1, b.Engine.Counters.KeepalivesSent);
    }

    [Fact]
    public void SentDataWithoutReply_StartsAHandshakeAfterKeepalivePlusRekeyTimeout()
    {
        var (net, a, _, bOnA, _) = Established();
        net.Deliverable = d => d.To != a.Endpoint;
        a.Send(bOnA, Packets.Make(20, 1));

        net.Run(TimeSpan.FromSeconds(14.9));
        Assert.Equal(1, Initiations(net, a));
        net.Run(TimeSpan.FromSeconds(0.6));
        Assert.Equal(2, Initiations(net, a));
    }

    [Fact]
    public void HandshakeRetries_ComeEveryRekeyTimeoutPlusJitter_AndStopAfterRekeyAttemptTime()
    {
        var net = new TestNetwork();
        var (a, _, bOnA, _) = net.Pair();
        net.Deliverable = _ => false;
        a.Send(bOnA, Packets.Make(20, 1));

        var times = new List<TimeSpan> { TimeSpan.Zero };
        var start = net.Time.GetUtcNow();
        for (var i = 0; i < 1300; i++)
        {
            net.Run(TimeSpan.FromMilliseconds(100));
            var count = Initiations(net, a);
            if (count > times.Count)
            {
                times.Add(net.Time.GetUtcNow() - start);
            }
        }

        for (var i = 1; i < times.Count; i++)
        {
            var gap = times[i] - times[i - 1];
            Assert.InRange(gap.TotalMilliseconds, 5000, 5000 + 333 + 100);
        }

        Assert.InRange(times.Count, 17, 18);
        Assert.True(times[^1] < TimeSpan.FromSeconds(90), $"last initiation at {times[^1]}");
        Assert.Empty(bOnA.Staged);
    }

    [Fact]
    public void HandshakeRetry_Jitter_IsNotAlwaysZero()
    {
        var net = new TestNetwork(seed: 7);
        var (a, _, bOnA, _) = net.Pair();
        net.Deliverable = _ => false;
        a.Send(bOnA, Packets.Make(20, 1));
        var firstRetryAfter = TimeSpan.Zero;
        for (var i = 0; i < 60 && Initiations(net, a) < 2; i++)
        {
            net.Run(TimeSpan.FromMilliseconds(100));
            firstRetryAfter += TimeSpan.FromMilliseconds(100);
        }

        var jitters = new HashSet<long>();
        for (var i = 0; i < 20; i++)
        {
            jitters.Add(a.Engine.Jitter());
        }

        Assert.Equal(2, Initiations(net, a));
        Assert.True(jitters.Count > 5, "jitter should spread retries");
        Assert.All(jitters, j => Assert.InRange(j, 0, 333 * TimeSpan.TicksPerMillisecond));
    }

    [Fact]
    public void PersistentKeepalive_TurnedOn_SendsAtNextTick_AndThenEveryInterval()
    {
        var (net, a, _, bOnA, _) = Established();

        // Let B's passive keepalive (10 s) pass first: any authenticated packet re-arms the persistent timer.
        net.Run(TimeSpan.FromSeconds(11));
        var before = a.Engine.Counters.KeepalivesSent;
        bOnA.PersistentKeepaliveInterval = 25;

        net.Run(TimeSpan.FromMilliseconds(100));
        Assert.Equal(before + 1, a.Engine.Counters.KeepalivesSent);

        net.Run(TimeSpan.FromSeconds(24.8));
        Assert.Equal(before + 1, a.Engine.Counters.KeepalivesSent);
        net.Run(TimeSpan.FromSeconds(0.3));
        Assert.Equal(before + 2, a.Engine.Counters.KeepalivesSent);

        bOnA.PersistentKeepaliveInterval = 0;
        net.Run(TimeSpan.FromSeconds(60));
        Assert.Equal(before + 2, a.Engine.Counters.KeepalivesSent);
    }

    [Fact]
    public void KeyMaterial_IsZeroedAfterThreeTimesRejectAfterTime_WithoutNewHandshake()
    {
        var (net, a, b, bOnA, aOnB) = Established();
        net.Deliverable = _ => false;

        net.Run(TimeSpan.FromSeconds(539));
        Assert.True(bOnA.HasCurrentKeypair);
        Assert.True(aOnB.HasCurrentKeypair);

        net.Run(TimeSpan.FromSeconds(1.2));
        Assert.False(bOnA.HasCurrentKeypair);
        Assert.False(aOnB.HasCurrentKeypair);
        Assert.Equal(0, a.Engine.Indices.Count);
        Assert.Equal(0, b.Engine.Indices.Count);
    }

    [Fact]
    public void Initiator_ReceivingOnASessionNearRejectAfterTime_RenewsItOnce()
    {
        var (net, a, b, _, aOnB) = Established();
        net.Time.Advance(TimeSpan.FromSeconds(164));
        b.Send(aOnB, Packets.Make(20, 1));
        net.Pump();
        Assert.Equal(1, Initiations(net, a));

        net.Time.Advance(TimeSpan.FromSeconds(2));
        b.Send(aOnB, Packets.Make(20, 2));
        net.DropQueued();
        var data = net.Log.Last(d => d.Type == 4 && d.From == b.Endpoint);
        a.Receive(data.Data, data.From);
        Assert.Equal(2, Initiations(net, a));

        // Only one "last minute" handshake per session.
        net.DropQueued();
        b.Send(aOnB, Packets.Make(20, 3));
        var again = net.Log.Last(d => d.Type == 4 && d.From == b.Endpoint);
        net.DropQueued();
        a.Receive(again.Data, again.From);
        Assert.Equal(2, Initiations(net, a));
    }

    [Fact]
    public void Rekey_ReplacesTheSession_AndOldInFlightPacketsStillDecrypt()
    {
        var (net, a, b, bOnA, _) = Established();
        net.Time.Advance(TimeSpan.FromSeconds(121));
        a.Send(bOnA, Packets.Make(20, 1));
        var oldSession = net.Log.Last(d => d.Type == 4);
        net.Deliverable = d => !ReferenceEquals(d, oldSession);
        net.Pump();
        Assert.Equal(2, a.Engine.Counters.HandshakesCompleted);
        Assert.Equal(2, bOnA.HandshakesCompleted);

        // The previous keypair is kept so reordered packets from before the rekey are not lost.
        var tun = b.Tun.Count;
        b.Receive(oldSession.Data, oldSession.From);
        Assert.Equal(tun + 1, b.Tun.Count);
    }
}
