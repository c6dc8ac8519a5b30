using MeshPorts.WireGuard.Messages;
using MeshPorts.WireGuard.Tests.Harness;

namespace MeshPorts.WireGuard.Tests.Engine;

public class CookieUnderLoadTests
{
    [Fact]
    public void UnderLoad_InitiationWithoutMac2_GetsACookieReply_AndTheRetryWithMac2IsAccepted()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        b.Engine.UnderLoad = true;

        a.Send(bOnA, Packets.Make(20, 1));
        net.Pump();
        Assert.Equal(1, b.Engine.Counters.Drops(DropReason.CookieRequired));
        Assert.Single(net.Log, d => d.Type == 3 && d.Data.Length == 64);
        Assert.Equal(1, a.Engine.Counters.CookieRepliesAccepted);
        Assert.False(bOnA.HasCurrentKeypair);

        net.Run(TimeSpan.FromSeconds(5.5));
        var retry = net.Log.Last(d => d.Type == 1);
        Assert.Contains(retry.Data[MessageLayout.InitiationMac2..], x => x != 0);
        Assert.True(bOnA.HasCurrentKeypair);
        Assert.Single(b.Tun);
        Assert.Equal(1, b.Engine.Counters.Drops(DropReason.CookieRequired));
    }

    [Fact]
    public void Handshake_WithExpiredCookie_IsAnsweredWithAnotherCookieReply()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        b.Engine.UnderLoad = true;
        a.Send(bOnA, Packets.Make(20, 1));
        net.Pump();
        Assert.Equal(1, a.Engine.Counters.CookieRepliesAccepted);

        net.Time.Advance(TimeSpan.FromSeconds(121));
        a.Send(bOnA, Packets.Make(20, 2));
        var initiation = net.Log.Last(d => d.Type == 1);
        Assert.All(initiation.Data[MessageLayout.InitiationMac2..], x => Assert.Equal(0, x));
        net.Pump();
        Assert.Equal(2, b.Engine.Counters.Drops(DropReason.CookieRequired));
        Assert.False(bOnA.HasCurrentKeypair);
    }

    [Fact]
    public void UnderLoad_AFloodOfValidMac2InitiationsFromOneSource_IsRateLimited()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        b.Engine.UnderLoad = true;
        a.Send(bOnA, Packets.Make(20, 1));
        net.Pump();
        net.Run(TimeSpan.FromSeconds(5.5));
        var withMac2 = net.Log.Last(d => d.Type == 1);

        for (var i = 0; i < 50; i++)
        {
            b.Receive(withMac2.Data, withMac2.From);
        }

        Assert.True(b.Engine.Counters.Drops(DropReason.RateLimited) >= 40,
            $"rate limited {b.Engine.Counters.Drops(DropReason.RateLimited)} of 50");

        // The same bytes from a different source fail mac2 (cookies bind the address): a cookie reply, not a rate drop.
        var rateLimited = b.Engine.Counters.Drops(DropReason.RateLimited);
        b.Receive(withMac2.Data, TestNetwork.Endpoint("192.0.2.99:1234"));
        Assert.Equal(rateLimited, b.Engine.Counters.Drops(DropReason.RateLimited));
        Assert.Equal(2, b.Engine.Counters.Drops(DropReason.CookieRequired));
    }

    [Fact]
    public void NotUnderLoad_Mac2IsIgnored_ButMac1IsAlwaysChecked()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 1));
        var initiation = net.Log.Single(d => d.Type == 1).Data.ToArray();
        net.DropQueued();

        var badMac1 = initiation.ToArray();
        badMac1[MessageLayout.InitiationMac1] ^= 1;
        Assert.Equal(DropReason.BadMac1, b.Receive(badMac1, a.Endpoint).Reason);

        initiation[MessageLayout.InitiationMac2] ^= 1;
        Assert.Equal(InboundAction.None, b.Receive(initiation, a.Endpoint).Action);
        Assert.Equal(1, b.Engine.Counters.ResponsesSent);
    }
}
