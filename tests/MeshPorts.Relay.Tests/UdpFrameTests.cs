using System.Net;
using MeshPorts.Contracts.Relay;
using MeshPorts.Relay.Tests.Support;

namespace MeshPorts.Relay.Tests;

public sealed class UdpFrameTests
{
    [Fact]
    public void Keepalive_IsAnsweredWithAKeepaliveAnswer_OfTheSameSize_ToItsSource()
    {
        using var relay = new TestRelay();
        var (a, _) = relay.Pair();
        var keepalive = a.Keepalive();
        a.SendUdp(keepalive);
        var (answer, to) = Assert.Single(relay.Udp.Sent);
        Assert.Equal(a.UdpSource, to);
        Assert.Equal(keepalive.Length, answer.Length);
        Assert.Equal(RelayFrameKind.KeepaliveAnswer, a.Open(answer).Kind);
    }

    [Fact]
    public void FrameWithABadTag_IsDropped_AndDoesNotMoveTheNodesUdpAddress()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        b.SendUdp(b.Keepalive());
        var wrongKey = b.Frame(RelayFrameKind.Keepalive, string.Empty, [], key: new byte[32]);
        var spoofed = new IPEndPoint(IPAddress.Parse("203.0.113.66"), 666);
        relay.Core.HandleUdp(wrongKey, spoofed, relay.Udp);
        var flipped = b.Keepalive();
        flipped[^1] ^= 0x80;
        relay.Core.HandleUdp(flipped, spoofed, relay.Udp);
        Assert.Equal(2, relay.Dropped(RelayDropReason.BadTag));

        relay.Udp.Sent.Clear();
        a.SendUdp(a.DatagramFrame(b.Id, [1]));
        Assert.Equal(b.UdpSource, Assert.Single(relay.Udp.Sent).To);
    }

    [Fact]
    public void FrameWithAReplayedCounter_IsDropped()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        var frame = a.DatagramFrame(b.Id, [1, 2]);
        a.SendUdp(frame);
        a.SendUdp(frame);
        Assert.Equal(1, relay.Dropped(RelayDropReason.Replay));
        Assert.Single(b.DrainTls());
    }

    [Fact]
    public void ReplayedFrame_FromAnotherSource_DoesNotMoveTheNodesUdpAddress()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        var keepalive = b.Keepalive();
        b.SendUdp(keepalive);
        relay.Core.HandleUdp(keepalive, new IPEndPoint(IPAddress.Parse("203.0.113.9"), 9), relay.Udp);
        Assert.Equal(1, relay.Dropped(RelayDropReason.Replay));
        relay.Udp.Sent.Clear();
        a.SendUdp(a.DatagramFrame(b.Id, [1]));
        Assert.Equal(b.UdpSource, Assert.Single(relay.Udp.Sent).To);
    }

    [Fact]
    public void UdpAddress_IsTheSourceOfTheLatestGoodFrame()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        b.SendUdp(b.Keepalive());
        b.UdpSource = new IPEndPoint(IPAddress.Parse("198.51.100.7"), 5555);
        b.SendUdp(b.Keepalive());
        relay.Udp.Sent.Clear();
        a.SendUdp(a.DatagramFrame(b.Id, [1]));
        Assert.Equal(b.UdpSource, Assert.Single(relay.Udp.Sent).To);
    }

    [Fact]
    public void FrameForAnUnknownSession_OrAnEndedOne_IsDropped()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        a.SendUdp(a.Frame(RelayFrameKind.Keepalive, string.Empty, [], sessionId: a.SessionId ^ 1));
        var later = a.Keepalive();
        relay.Core.End(a.Session!, Grpc.Core.Status.DefaultCancelled);
        a.SendUdp(later);
        Assert.Equal(2, relay.Dropped(RelayDropReason.UnknownSession));
        Assert.Empty(relay.Udp.Sent);
    }

    [Fact]
    public void FrameAfterTheTicketExpired_IsDropped()
    {
        using var relay = new TestRelay();
        var (a, _) = relay.Pair();
        relay.Time.Advance(TimeSpan.FromMinutes(10));
        a.SendUdp(a.Keepalive());
        Assert.Equal(1, relay.Dropped(RelayDropReason.UnknownSession));
        Assert.Empty(relay.Udp.Sent);
    }

    [Fact]
    public void MalformedFrames_TruncatedOversizeOrWrongKind_AreCountedAndNeverThrow()
    {
        using var relay = new TestRelay();
        var (a, b) = relay.Pair();
        var good = a.DatagramFrame(b.Id, [1, 2, 3]);
        List<byte[]> cases =
        [
            [],
            [0xF2],
            [0xF2, (byte)'M', (byte)'R', 1],
            good[..(RelayUdpFrame.HeaderSize + 4)],
            good[..^1][..(RelayUdpFrame.HeaderSize + RelayUdpFrame.TagSize - 1)],
            a.Frame(RelayFrameKind.KeepaliveAnswer, string.Empty, []),
            a.Frame(RelayFrameKind.Datagram, "n_has space", [1]),
        ];
        var longId = (byte[])good.Clone();
        longId[21] = 200;
        cases.Add(longId);
        var badKind = (byte[])good.Clone();
        badKind[20] = 9;
        cases.Add(badKind);
        var emptyPayload = (byte[])good.Clone();
        emptyPayload[21] = (byte)(good.Length - RelayUdpFrame.HeaderSize - RelayUdpFrame.TagSize);
        cases.Add(emptyPayload);
        cases.Add(new byte[70_000]);
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var junk = new byte[random.Next(0, 200)];
            random.NextBytes(junk);
            if (junk.Length >= 4)
            {
                junk[0] = 0xF2;
                junk[1] = (byte)'M';
                junk[2] = (byte)'R';
                junk[3] = 1;
            }

            cases.Add(junk);
        }

        foreach (var frame in cases)
        {
            a.SendUdp(frame);
        }

        var dropped = Enum.GetValues<RelayDropReason>().Sum(r => relay.Dropped(r));
        Assert.Equal(cases.Count, dropped);
        Assert.True(relay.Dropped(RelayDropReason.Malformed) >= 11);
        Assert.Empty(relay.Udp.Sent);
        Assert.Empty(b.DrainTls());
    }
}
