using System.Net;
using MeshPorts.Node.Filter;
using MeshPorts.TestKit;
using MeshPorts.WireGuard.Keys;
using static MeshPorts.Node.Tests.Filter.FilterHarness;
using static MeshPorts.Node.Tests.Filter.FilterPackets;

namespace MeshPorts.Node.Tests.Filter;

public class PacketFilterTests
{
    private const ushort Db = 5432;
    private const ushort ClientPort = 40000;

    // SYN, SYN-ACK, then 100 bytes from the remote and 50 back: afterwards the remote's next sequence
    // number is 1101 and the local's 5051.
    private static void Handshake(FilterHarness h, WgKey peer, string remote, string local)
    {
        Assert.Equal(FilterAction.Allow, h.In(peer, Tcp(remote, ClientPort, local, Db, 1000, 0, Syn)).Action);
        Assert.Equal(FilterAction.Allow, h.Out(peer, Tcp(local, Db, remote, ClientPort, 5000, 1001, Syn | Ack)).Action);
        Assert.Equal(FilterAction.Allow, h.In(peer, Tcp(remote, ClientPort, local, Db, 1001, 5001, Ack, 100)).Action);
        Assert.Equal(FilterAction.Allow, h.Out(peer, Tcp(local, Db, remote, ClientPort, 5001, 1101, Ack, 50)).Action);
    }

    private static void AssertResetToLocal(TcpSegment rst, string remote, string local)
    {
        Assert.True(rst.IsReset);
        Assert.Equal(IPAddress.Parse(remote), rst.Source);
        Assert.Equal(ClientPort, rst.SourcePort);
        Assert.Equal(IPAddress.Parse(local), rst.Destination);
        Assert.Equal(Db, rst.DestinationPort);
        Assert.Equal(1101u, rst.Sequence);
        Assert.Equal(5051u, rst.Acknowledgment);
        Assert.True(rst.IpChecksumValid, "IPv4 header checksum");
        Assert.True(rst.TcpChecksumValid, "TCP checksum");
    }

    private static void AssertResetToPeer(TcpSegment rst, string remote, string local)
    {
        Assert.True(rst.IsReset);
        Assert.Equal(IPAddress.Parse(local), rst.Source);
        Assert.Equal(Db, rst.SourcePort);
        Assert.Equal(IPAddress.Parse(remote), rst.Destination);
        Assert.Equal(ClientPort, rst.DestinationPort);
        Assert.Equal(5051u, rst.Sequence);
        Assert.Equal(1101u, rst.Acknowledgment);
        Assert.True(rst.IpChecksumValid, "IPv4 header checksum");
        Assert.True(rst.TcpChecksumValid, "TCP checksum");
    }

    [Fact]
    public void Inbound_WithNoRules_DeniesEveryNewFlow()
    {
        var h = new FilterHarness();
        Assert.Equal(FilterVerdict.Drop(FilterReason.NotAllowed), h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 1, 0, Syn)));
        Assert.Equal(FilterVerdict.Drop(FilterReason.NotAllowed), h.In(Laptop, TestPackets.Udp(Remote4, 5000, Local4, 53, [1, 2, 3])));
        Assert.Equal(FilterVerdict.Drop(FilterReason.NotAllowed), h.In(Laptop, TestPackets.IcmpEcho(Remote4, Local4, 7, 1)));
        Assert.Equal(FilterVerdict.Drop(FilterReason.NotAllowed), h.In(Laptop, TestPackets.IcmpEcho(Remote6, Local6, 7, 1)));
        Assert.Equal(4, h.Filter.Counters.Denied(FilterReason.NotAllowed));
        Assert.Equal(0, h.Filter.Counters.Allowed);
        Assert.Equal(0, h.Filter.FlowCount);
    }

    [Theory]
    [InlineData(Remote4, Local4)]
    [InlineData(Remote6, Local6)]
    public void Grant_AdmitsSynThenData(string remote, string local)
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, Start.AddMinutes(5))]);
        Handshake(h, Laptop, remote, local);
        Assert.Equal(FilterAction.Allow, h.In(Laptop, Tcp(remote, ClientPort, local, Db, 1101, 5051, Ack | Fin)).Action);
        Assert.Equal(5, h.Filter.Counters.Allowed);
        Assert.Equal(1, h.Filter.FlowCount);
    }

    [Fact]
    public void Grant_DoesNotAdmitWrongPortProtocolOrPeer()
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, Start.AddMinutes(5))]);
        Assert.Equal(FilterReason.NotAllowed, h.In(Laptop, Tcp(Remote4, ClientPort, Local4, 5433, 1, 0, Syn)).Reason);
        Assert.Equal(FilterReason.NotAllowed, h.In(Laptop, TestPackets.Udp(Remote4, ClientPort, Local4, Db, [1])).Reason);
        Assert.Equal(FilterReason.NotAllowed, h.In(Ci, Tcp(Other4, ClientPort, Local4, Db, 1, 0, Syn)).Reason);
        Assert.Equal(FilterAction.Allow, h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 1, 0, Syn)).Action);
    }

    [Fact]
    public void Inbound_NonSynWithoutFlow_IsUnsolicitedEvenWhenPortIsGranted()
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, Start.AddMinutes(5))]);
        Assert.Equal(FilterReason.Unsolicited, h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 1, 1, Ack)).Reason);
        Assert.Equal(FilterReason.Unsolicited, h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 1, 1, Syn | Ack)).Reason);
    }

    [Fact]
    public void Grant_WithSourcePrefixes_AdmitsOnlyThoseSources()
    {
        var h = new FilterHarness();
        var rule = new FilterRule("r", FilterRuleKind.Rule, Laptop, FilterProtocol.Tcp, 5000, 6000, null, [MeshPorts.Node.Routing.IpPrefix.Parse("100.64.0.2/32")]);
        h.Filter.ReplaceRules([rule]);
        Assert.Equal(FilterAction.Allow, h.In(Laptop, Tcp(Remote4, ClientPort, Local4, 5999, 1, 0, Syn)).Action);
        Assert.Equal(FilterReason.NotAllowed, h.In(Laptop, Tcp(Other4, ClientPort, Local4, 5999, 1, 0, Syn)).Reason);
        Assert.Equal(FilterReason.NotAllowed, h.In(Laptop, Tcp(Remote4, ClientPort, Local4, 6001, 1, 0, Syn)).Reason);
    }

    [Fact]
    public void Outbound_Flow_AllowsReturnTrafficButNotUnsolicitedInbound()
    {
        var h = new FilterHarness();
        Assert.Equal(FilterAction.Allow, h.Out(Laptop, Tcp(Local4, 33000, Remote4, 443, 10, 0, Syn)).Action);
        Assert.Equal(FilterAction.Allow, h.In(Laptop, Tcp(Remote4, 443, Local4, 33000, 900, 11, Syn | Ack)).Action);
        Assert.Equal(FilterAction.Allow, h.Out(Laptop, TestPackets.Udp(Local4, 5353, Remote4, 53, [1])).Action);
        Assert.Equal(FilterAction.Allow, h.In(Laptop, TestPackets.Udp(Remote4, 53, Local4, 5353, [2])).Action);

        // Same ports, other direction or other port: not return traffic.
        Assert.Equal(FilterReason.Unsolicited, h.In(Laptop, Tcp(Remote4, 443, Local4, 33001, 900, 11, Syn | Ack)).Reason);
        Assert.Equal(FilterReason.NotAllowed, h.In(Laptop, TestPackets.Udp(Remote4, 54, Local4, 5353, [2])).Reason);

        // The reply must come from the peer the flow was opened to.
        Assert.Equal(FilterReason.PeerMismatch, h.In(Ci, TestPackets.Udp(Remote4, 53, Local4, 5353, [2])).Reason);
    }

    [Fact]
    public void Outbound_Ping_AllowsTheEchoReplyOnly()
    {
        var h = new FilterHarness();
        Assert.Equal(FilterAction.Allow, h.Out(Laptop, TestPackets.IcmpEcho(Local6, Remote6, 9, 1)).Action);
        var reply = TestPackets.IcmpEcho(Remote6, Local6, 9, 1);
        reply[40] = 129; // echo reply
        Assert.Equal(FilterAction.Allow, h.In(Laptop, reply).Action);
        var stray = TestPackets.IcmpEcho(Remote6, Local6, 10, 1);
        stray[40] = 129;
        Assert.Equal(FilterReason.Unsolicited, h.In(Laptop, stray).Reason);
    }

    [Theory]
    [InlineData(Remote4, Local4)]
    [InlineData(Remote6, Local6)]
    public void GrantEnd_CutsNextPacket_WithResetsBothEndsAccept(string remote, string local)
    {
        var h = new FilterHarness();
        var end = Start.AddSeconds(30);
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end)]);
        Handshake(h, Laptop, remote, local);

        h.Time.SetUtcNow(end.AddTicks(-1));
        Assert.Equal(FilterAction.Allow, h.In(Laptop, Tcp(remote, ClientPort, local, Db, 1101, 5051, Ack)).Action);

        // NotAfter itself is already outside the grant.
        h.Time.SetUtcNow(end);
        var verdict = h.In(Laptop, Tcp(remote, ClientPort, local, Db, 1101, 5051, Ack, 10));
        Assert.Equal(FilterAction.Cut, verdict.Action);
        Assert.Equal(FilterReason.Expired, verdict.Reason);
        AssertResetToLocal(h.TunResetSegment(), remote, local);
        AssertResetToPeer(h.PeerResetSegment(), remote, local);
        Assert.Equal(1, h.Filter.Counters.CutFlows);

        // The flow stays cut: later packets either way are refused and answered with a reset.
        var again = h.In(Laptop, Tcp(remote, ClientPort, local, Db, 1111, 5051, Ack));
        Assert.Equal(FilterReason.FlowCut, again.Reason);
        Assert.Equal(0, again.TunResetLength);
        var reply = h.PeerResetSegment();
        Assert.Equal(5051u, reply.Sequence);
        Assert.True(reply.TcpChecksumValid);

        var outbound = h.Out(Laptop, Tcp(local, Db, remote, ClientPort, 5051, 1101, Ack, 5));
        Assert.Equal(FilterReason.FlowCut, outbound.Reason);
        Assert.Equal(1101u, h.TunResetSegment().Sequence);
        Assert.Equal(1, h.Filter.Counters.CutFlows);

        // This node opening a new connection on the same addresses is its own business.
        Assert.Equal(FilterVerdict.Allowed, h.Out(Laptop, Tcp(local, Db, remote, ClientPort, 1, 0, Syn)));
        Assert.True(h.In(Laptop, Tcp(remote, ClientPort, local, Db, 77, 2, Syn | Ack)).IsAllowed);
    }

    [Fact]
    public void GrantEnd_CutsOnTheLocalSideToo_WhenTheServiceSpeaksFirst()
    {
        var h = new FilterHarness();
        var end = Start.AddSeconds(30);
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end)]);
        Handshake(h, Laptop, Remote4, Local4);
        h.Time.SetUtcNow(end.AddSeconds(1));
        var verdict = h.Out(Laptop, Tcp(Local4, Db, Remote4, ClientPort, 5051, 1101, Ack, 20));
        Assert.Equal(FilterAction.Cut, verdict.Action);
        AssertResetToLocal(h.TunResetSegment(), Remote4, Local4);
        AssertResetToPeer(h.PeerResetSegment(), Remote4, Local4);
    }

    [Fact]
    public void GrantEnd_BeforeTheServiceAnswered_ResetsThePeerWithAnAckOfItsSyn()
    {
        var h = new FilterHarness();
        var end = Start.AddSeconds(30);
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end)]);
        Assert.Equal(FilterAction.Allow, h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 7000, 0, Syn)).Action);
        h.Time.SetUtcNow(end);
        var cuts = h.Filter.Sweep();
        var cut = Assert.Single(cuts);
        var toPeer = TcpSegment.Parse(cut.ToPeer);
        Assert.Equal(Rst | Ack, toPeer.Flags);
        Assert.Equal(7001u, toPeer.Acknowledgment);
        Assert.True(toPeer.TcpChecksumValid);
        var toTun = TcpSegment.Parse(cut.ToTun);
        Assert.Equal(Rst, toTun.Flags);
        Assert.Equal(7001u, toTun.Sequence);
    }

    [Fact]
    public void Resets_FollowSequenceNumbersAcrossWraparound_AndIgnoreRetransmissions()
    {
        var h = new FilterHarness();
        var end = Start.AddSeconds(30);
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end)]);
        const uint RemoteIsn = 0xFFFF_FFF0;
        const uint LocalIsn = 0x7FFF_FFFF;
        Assert.True(h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, RemoteIsn, 0, Syn)).IsAllowed);
        Assert.True(h.Out(Laptop, Tcp(Local4, Db, Remote4, ClientPort, LocalIsn, RemoteIsn + 1, Syn | Ack)).IsAllowed);
        Assert.True(h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, RemoteIsn + 1, LocalIsn + 1, Ack, 100)).IsAllowed);

        // A retransmission of the first segment must not move the tracked sequence back.
        Assert.True(h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, RemoteIsn + 1, LocalIsn + 1, Ack, 10)).IsAllowed);
        Assert.True(h.Out(Laptop, Tcp(Local4, Db, Remote4, ClientPort, LocalIsn + 1, unchecked(RemoteIsn + 101), Ack, 1)).IsAllowed);

        h.Time.SetUtcNow(end);
        var cut = Assert.Single(h.Filter.Sweep());
        var toLocal = TcpSegment.Parse(cut.ToTun);
        Assert.Equal(unchecked(RemoteIsn + 101), toLocal.Sequence);
        Assert.Equal(0x55u, toLocal.Sequence);
        Assert.Equal(LocalIsn + 2, toLocal.Acknowledgment);
        var toPeer = TcpSegment.Parse(cut.ToPeer);
        Assert.Equal(LocalIsn + 2, toPeer.Sequence);
        Assert.True(toLocal.TcpChecksumValid && toPeer.TcpChecksumValid);
    }

    [Fact]
    public void Sweep_CutsAnIdleFlowAtExpiry_WithoutAnyPacket()
    {
        var h = new FilterHarness();
        var end = Start.AddSeconds(30);
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end)]);
        Handshake(h, Laptop, Remote4, Local4);

        h.Time.SetUtcNow(end.AddMilliseconds(-100));
        Assert.Empty(h.Filter.Sweep());
        h.Time.SetUtcNow(end.AddMilliseconds(100));
        var cut = Assert.Single(h.Filter.Sweep());
        Assert.Equal(Laptop, cut.Peer);
        Assert.Equal(FilterReason.Expired, cut.Reason);
        AssertResetToLocal(TcpSegment.Parse(cut.ToTun), Remote4, Local4);
        AssertResetToPeer(TcpSegment.Parse(cut.ToPeer), Remote4, Local4);

        // Cut once: the next sweeps have nothing new, and the flow's packets stay refused.
        h.Time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Empty(h.Filter.Sweep());
        Assert.Equal(FilterReason.FlowCut, h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 1101, 5051, Ack)).Reason);
        Assert.Equal(1, h.Filter.Counters.CutFlows);
    }

    [Fact]
    public void Sweep_CutsUdpAndEchoFlowsWithoutResets()
    {
        var h = new FilterHarness();
        var end = Start.AddSeconds(10);
        h.Filter.ReplaceRules([Grant("g1", Laptop, 53, end, FilterProtocol.Udp)]);
        Assert.True(h.In(Laptop, TestPackets.Udp(Remote4, 5000, Local4, 53, [1])).IsAllowed);
        Assert.True(h.In(Laptop, TestPackets.IcmpEcho(Remote4, Local4, 1, 1)).IsAllowed);
        h.Time.SetUtcNow(end);
        var cuts = h.Filter.Sweep();
        Assert.Equal(2, cuts.Count);
        Assert.All(cuts, c => Assert.Null(c.ToTun));
        Assert.All(cuts, c => Assert.Null(c.ToPeer));
        Assert.Equal(FilterReason.FlowCut, h.In(Laptop, TestPackets.Udp(Remote4, 5000, Local4, 53, [1])).Reason);
        Assert.Equal(FilterReason.FlowCut, h.Out(Laptop, TestPackets.Udp(Local4, 53, Remote4, 5000, [1])).Reason);
    }

    [Fact]
    public void UdpFlow_WhoseGrantEnded_IsCutAtTheNextDatagram()
    {
        var h = new FilterHarness();
        var end = Start.AddSeconds(10);
        h.Filter.ReplaceRules([Grant("g1", Laptop, 53, end, FilterProtocol.Udp)]);
        Assert.True(h.In(Laptop, TestPackets.Udp(Remote4, 5000, Local4, 53, [1])).IsAllowed);
        h.Time.SetUtcNow(end);
        Assert.Equal(FilterVerdict.Cut(FilterReason.Expired, 0, 0), h.In(Laptop, TestPackets.Udp(Remote4, 5000, Local4, 53, [1])));
    }

    [Fact]
    public void ReplaceRules_WithoutTheGrant_CutsItsFlowsAtOnce()
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, Start.AddHours(1)), Rule("r2", Ci, 22)]);
        Handshake(h, Laptop, Remote4, Local4);

        var cut = Assert.Single(h.Filter.ReplaceRules([Rule("r2", Ci, 22)]));
        Assert.Equal(FilterReason.Revoked, cut.Reason);
        AssertResetToLocal(TcpSegment.Parse(cut.ToTun), Remote4, Local4);
        AssertResetToPeer(TcpSegment.Parse(cut.ToPeer), Remote4, Local4);
        Assert.Equal(FilterReason.FlowCut, h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 1101, 5051, Ack)).Reason);
        Assert.Equal(FilterReason.NotAllowed, h.In(Laptop, Tcp(Remote4, ClientPort + 1, Local4, Db, 1, 0, Syn)).Reason);
    }

    [Fact]
    public void ReplaceRules_WithTheSameRule_DoesNotCut_AndTakesTheNewEnd()
    {
        var h = new FilterHarness();
        var end = Start.AddSeconds(30);
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end)]);
        Handshake(h, Laptop, Remote4, Local4);

        Assert.Empty(h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end)]));
        Assert.True(h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 1101, 5051, Ack)).IsAllowed);

        // Extended: the old end passes without a cut.
        Assert.Empty(h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end.AddMinutes(1))]));
        h.Time.SetUtcNow(end.AddSeconds(1));
        Assert.Empty(h.Filter.Sweep());
        Assert.True(h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 1101, 5051, Ack)).IsAllowed);

        // Shortened into the past: cut at once.
        Assert.Single(h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end)]));
        Assert.Equal(FilterReason.FlowCut, h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 1101, 5051, Ack)).Reason);
    }

    [Fact]
    public void ReplaceRules_ChangingARulesPorts_KeepsOnlyFlowsTheNewShapeStillAllows()
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([new FilterRule("r", FilterRuleKind.Rule, Laptop, FilterProtocol.Tcp, 5000, 6000)]);
        Assert.True(h.In(Laptop, Tcp(Remote4, 1, Local4, 5432, 1, 0, Syn)).IsAllowed);
        Assert.True(h.In(Laptop, Tcp(Remote4, 2, Local4, 5999, 1, 0, Syn)).IsAllowed);
        var cut = Assert.Single(h.Filter.ReplaceRules([new FilterRule("r", FilterRuleKind.Rule, Laptop, FilterProtocol.Tcp, 5000, 5500)]));
        Assert.Equal(2, TcpSegment.Parse(cut.ToPeer!).DestinationPort);
        Assert.True(h.In(Laptop, Tcp(Remote4, 1, Local4, 5432, 2, 0, Ack)).IsAllowed);
    }

    [Fact]
    public void GrantEnd_WithAStandingRuleForTheSamePort_KeepsTheFlow()
    {
        var h = new FilterHarness();
        var end = Start.AddSeconds(30);
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end)]);
        Handshake(h, Laptop, Remote4, Local4);
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end), Rule("policy", Laptop, Db)]);
        h.Time.SetUtcNow(end.AddSeconds(1));
        Assert.Empty(h.Filter.Sweep());
        Assert.True(h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 1101, 5051, Ack)).IsAllowed);
        Assert.Equal(0, h.Filter.Counters.CutFlows);
    }

    [Fact]
    public void CutPeer_CutsItsFlowsEitherWayRound_AndLeavesOtherPeersAlone()
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([Rule("r", Laptop, Db), Rule("ci", Ci, Db)]);
        Handshake(h, Laptop, Remote4, Local4);
        Assert.True(h.Out(Laptop, TestPackets.Udp(Local4, 5353, Remote4, 53, [1])).IsAllowed);
        Assert.True(h.In(Ci, Tcp(Other4, 1, Local4, Db, 1, 0, Syn)).IsAllowed);

        var cuts = h.Filter.CutPeer(Laptop);
        Assert.Equal(2, cuts.Count);
        Assert.All(cuts, c => Assert.Equal(Laptop, c.Peer));
        var tcp = Assert.Single(cuts, c => c.ToTun is not null);
        AssertResetToLocal(TcpSegment.Parse(tcp.ToTun), Remote4, Local4);
        Assert.Equal(FilterReason.FlowCut, h.In(Laptop, TestPackets.Udp(Remote4, 53, Local4, 5353, [2])).Reason);
        Assert.True(h.In(Ci, Tcp(Other4, 1, Local4, Db, 2, 0, Ack)).IsAllowed);
    }

    [Fact]
    public void HasActiveRule_FollowsTheClockAndTheRuleSet()
    {
        var h = new FilterHarness();
        var end = Start.AddSeconds(30);
        Assert.False(h.Filter.HasActiveRule(Laptop));
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end)]);
        Assert.True(h.Filter.HasActiveRule(Laptop));
        Assert.False(h.Filter.HasActiveRule(Ci));
        h.Time.SetUtcNow(end);
        Assert.False(h.Filter.HasActiveRule(Laptop));
    }

    [Fact]
    public void EchoRequest_IsAdmittedOnlyFromPeersHoldingAnActiveRule()
    {
        var h = new FilterHarness();
        var end = Start.AddSeconds(30);
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end)]);
        Assert.True(h.In(Laptop, TestPackets.IcmpEcho(Remote4, Local4, 1, 1)).IsAllowed);
        Assert.True(h.Out(Laptop, EchoReply(TestPackets.IcmpEcho(Local4, Remote4, 1, 1))).IsAllowed);
        Assert.True(h.In(Laptop, TestPackets.IcmpEcho(Remote6, Local6, 1, 1)).IsAllowed);
        Assert.Equal(FilterReason.NotAllowed, h.In(Ci, TestPackets.IcmpEcho(Other4, Local4, 1, 1)).Reason);

        h.Time.SetUtcNow(end);
        Assert.Equal(FilterReason.NotAllowed, h.In(Laptop, TestPackets.IcmpEcho(Remote4, Local4, 2, 1)).Reason);
        Assert.Equal(FilterAction.Cut, h.In(Laptop, TestPackets.IcmpEcho(Remote4, Local4, 1, 2)).Action);
    }

    [Fact]
    public void IcmpError_IsAllowedOnlyForAFlowItQuotes()
    {
        var h = new FilterHarness();
        var sent = TestPackets.Udp(Local4, 5353, Remote4, 53, new byte[8]);
        Assert.True(h.Out(Laptop, sent).IsAllowed);
        Assert.True(h.In(Laptop, Unreachable(Remote4, Local4, sent)).IsAllowed);
        var other = TestPackets.Udp(Local4, 5354, Remote4, 53, new byte[8]);
        Assert.Equal(FilterReason.Unsolicited, h.In(Laptop, Unreachable(Remote4, Local4, other)).Reason);
        Assert.Equal(FilterReason.PeerMismatch, h.In(Ci, Unreachable(Remote4, Local4, sent)).Reason);
    }

    [Fact]
    public void ClosedFlow_ReopenedWithSyn_IsJudgedAfresh()
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([Rule("r", Laptop, Db)]);
        Handshake(h, Laptop, Remote4, Local4);
        Assert.True(h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 1101, 5051, Rst)).IsAllowed);
        h.Filter.ReplaceRules([]);
        Assert.False(h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 9000, 0, Syn)).IsAllowed);
        h.Filter.ReplaceRules([Rule("r", Laptop, Db)]);
        Assert.True(h.In(Laptop, Tcp(Remote4, ClientPort, Local4, Db, 9000, 0, Syn)).IsAllowed);
        Assert.True(h.Out(Laptop, Tcp(Local4, Db, Remote4, ClientPort, 100, 9001, Syn | Ack)).IsAllowed);
    }

    [Fact]
    public void CutUdpFlow_StaysRefusedUntilANewGrantAdmitsIt()
    {
        var h = new FilterHarness();
        var end = Start.AddSeconds(10);
        h.Filter.ReplaceRules([Grant("g1", Laptop, 53, end, FilterProtocol.Udp)]);
        var query = TestPackets.Udp(Remote4, 5000, Local4, 53, [1]);
        var answer = TestPackets.Udp(Local4, 53, Remote4, 5000, [2]);
        Assert.True(h.In(Laptop, query).IsAllowed);
        h.Time.SetUtcNow(end);
        Assert.Equal(FilterAction.Cut, h.In(Laptop, query).Action);

        // The local service answering does not turn the flow into return traffic, even after a long time.
        for (var i = 0; i < 5; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(30));
            h.Filter.Sweep();
            Assert.Equal(FilterReason.FlowCut, h.Out(Laptop, answer).Reason);
            Assert.Equal(FilterReason.FlowCut, h.In(Laptop, query).Reason);
        }

        h.Filter.ReplaceRules([Grant("g2", Laptop, 53, h.Time.GetUtcNow().AddMinutes(1), FilterProtocol.Udp)]);
        Assert.True(h.In(Laptop, query).IsAllowed);
        Assert.True(h.Out(Laptop, answer).IsAllowed);
    }

    [Fact]
    public void FlowTable_IsBounded_AndIdleFlowsMakeRoom()
    {
        var h = new FilterHarness(new FilterOptions { MaxFlows = 8 });
        h.Filter.ReplaceRules([Rule("r", Laptop, 53, FilterProtocol.Udp)]);
        for (ushort port = 1; port <= 8; port++)
        {
            Assert.True(h.In(Laptop, TestPackets.Udp(Remote4, port, Local4, 53, [1])).IsAllowed);
        }

        Assert.Equal(FilterReason.TableFull, h.In(Laptop, TestPackets.Udp(Remote4, 9, Local4, 53, [1])).Reason);
        Assert.Equal(FilterReason.TableFull, h.Out(Laptop, TestPackets.Udp(Local4, 9, Remote4, 53, [1])).Reason);
        Assert.Equal(8, h.Filter.FlowCount);
        Assert.Equal(2, h.Filter.Counters.Denied(FilterReason.TableFull));

        // Known flows still pass while the table is full.
        Assert.True(h.In(Laptop, TestPackets.Udp(Remote4, 3, Local4, 53, [1])).IsAllowed);

        h.Time.Advance(TimeSpan.FromSeconds(61));
        h.Filter.Sweep();
        Assert.Equal(0, h.Filter.FlowCount);
        Assert.Equal(8, h.Filter.Counters.FlowsEvicted);
        Assert.True(h.In(Laptop, TestPackets.Udp(Remote4, 9, Local4, 53, [1])).IsAllowed);
    }

    [Fact]
    public void Sweep_EvictsByStateSpecificIdleTimeouts()
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([Rule("r", Laptop, Db)]);
        Handshake(h, Laptop, Remote4, Local4);
        Assert.True(h.In(Laptop, Tcp(Remote4, 40001, Local4, Db, 1, 0, Syn)).IsAllowed); // half-open
        h.Time.Advance(TimeSpan.FromSeconds(31));
        h.Filter.Sweep();
        Assert.Equal(1, h.Filter.FlowCount);
        h.Time.Advance(TimeSpan.FromMinutes(5));
        h.Filter.Sweep();
        Assert.Equal(0, h.Filter.FlowCount);
    }

    [Fact]
    public void Malformed_AndFragments_AreDroppedAndCounted()
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([Rule("r", Laptop, Db)]);
        var syn = Tcp(Remote4, ClientPort, Local4, Db, 1, 0, Syn);
        Assert.Equal(FilterReason.Malformed, h.In(Laptop, syn[..30]).Reason);
        Assert.Equal(FilterReason.Malformed, h.In(Laptop, []).Reason);
        var fragment = (byte[])syn.Clone();
        fragment[6] = 0x20; // more fragments
        Assert.Equal(FilterReason.Fragment, h.In(Laptop, fragment).Reason);
        var badOffset = (byte[])syn.Clone();
        badOffset[20 + 12] = 0xF0; // 60-byte TCP header in a 20-byte segment
        Assert.Equal(FilterReason.Malformed, h.In(Laptop, badOffset).Reason);
        Assert.Equal(3, h.Filter.Counters.Denied(FilterReason.Malformed));
        Assert.Equal(1, h.Filter.Counters.Denied(FilterReason.Fragment));
    }

    [Fact]
    public void Inbound_AllowedFastPath_DoesNotAllocate()
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([Rule("r", Laptop, Db)]);
        Handshake(h, Laptop, Remote4, Local4);
        var data = Tcp(Remote4, ClientPort, Local4, Db, 1101, 5051, Ack, 100);
        var reply = Tcp(Local4, Db, Remote4, ClientPort, 5051, 1201, Ack);
        var peer = Laptop;
        h.Filter.Inbound(peer, data, h.TunReset, h.PeerReset);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            h.Filter.Inbound(peer, data, h.TunReset, h.PeerReset);
            h.Filter.Outbound(peer, reply, h.TunReset, h.PeerReset);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2005, h.Filter.Counters.Allowed);
    }

    private static byte[] EchoReply(byte[] request)
    {
        request[20] = 0;
        return request;
    }

    private static byte[] Unreachable(string router, string destination, byte[] quoted)
    {
        // Type 3 code 3 carries the offending packet's header and first 8 data bytes (RFC 792).
        var body = new byte[Math.Min(quoted.Length, 28)];
        quoted.AsSpan(0, body.Length).CopyTo(body);
        var icmp = TestPackets.IcmpEcho(router, destination, 0, 0, payloadLength: body.Length);
        icmp[20] = 3;
        icmp[21] = 3;
        icmp[24] = icmp[25] = icmp[26] = icmp[27] = 0;
        body.CopyTo(icmp, 28);
        return icmp;
    }
}
