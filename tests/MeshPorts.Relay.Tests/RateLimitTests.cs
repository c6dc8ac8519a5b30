using Google.Protobuf;
using MeshPorts.Contracts.Relay;
using MeshPorts.Relay.Tests.Support;

namespace MeshPorts.Relay.Tests;

public sealed class RateLimitTests
{
    [Fact]
    public void The8193rdDatagramInOneSecond_IsDroppedAndCounted_AndTheNextSecondRefills()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        var datagram = new Datagram { PeerNodeId = b.Id, Payload = ByteString.CopyFrom(new byte[100]) };
        var forwarded = 0;
        for (var i = 0; i < 8193; i++)
        {
            relay.Core.Send(a.Session!, datagram);
            forwarded += b.DrainTls().Count;
        }

        Assert.Equal(8192, forwarded);
        Assert.Equal(1, relay.Dropped(RelayDropReason.RateLimited));

        relay.Time.Advance(TimeSpan.FromSeconds(1));
        relay.Core.Send(a.Session!, datagram);
        Assert.Single(b.DrainTls());
    }

    [Fact]
    public void MoreThanEightMebibytesInOneSecond_IsDropped()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        var datagram = new Datagram { PeerNodeId = b.Id, Payload = ByteString.CopyFrom(new byte[65_536 - 1]) };
        var forwarded = 0L;
        for (var i = 0; i < 130; i++)
        {
            relay.Core.Send(a.Session!, datagram);
            forwarded += b.DrainTls().Sum(d => (long)d.Payload.Length);
        }

        Assert.True(forwarded <= 8 * 1024 * 1024, $"{forwarded} bytes passed in one second");
        Assert.True(forwarded > 8 * 1024 * 1024 - 65_535);
        Assert.Equal(130 - (forwarded / 65_535), relay.Dropped(RelayDropReason.RateLimited));
    }

    [Fact]
    public void Limits_ArePerNode_OneNodesFloodLeavesAnotherUntouched()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        var datagram = new Datagram { PeerNodeId = b.Id, Payload = ByteString.CopyFrom(new byte[1]) };
        for (var i = 0; i < 9000; i++)
        {
            relay.Core.Send(a.Session!, datagram);
        }

        b.DrainTls();
        relay.Core.Send(b.Session!, new Datagram { PeerNodeId = a.Id, Payload = ByteString.CopyFrom(new byte[1]) });
        Assert.Single(a.DrainTls());
    }

    [Fact]
    public void UdpFrames_CountAgainstTheSameLimit()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        for (var i = 0; i < 8193; i++)
        {
            a.SendUdp(a.DatagramFrame(b.Id, [1]));
            b.DrainTls();
        }

        Assert.Equal(1, relay.Dropped(RelayDropReason.RateLimited));
    }
}
