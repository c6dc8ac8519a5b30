using Google.Protobuf;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Agent;
using MeshPorts.Node.Device;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Routing;

namespace MeshPorts.Node.Tests.Agent;

public sealed class MeshViewTests
{
    private static readonly DateTimeOffset Until = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static MeshView Seeded(ulong serial = 5)
    {
        var view = new MeshView();
        var outcome = view.Apply(WatchEvents.Snapshot(
            serial,
            WatchEvents.Self("self", WatchEvents.Key(100)),
            [WatchEvents.Peer("p1", WatchEvents.Key(1), "100.64.0.11/32", Until)],
            [WatchEvents.Grant("r1", "p1", 5432, Until)]));
        Assert.Equal(WatchApplyOutcome.Applied, outcome);
        return view;
    }

    private static string[] PeerIds(MeshView view) => [.. view.ToDeviceConfig().Peers.Select(p => p.NodeId)];

    private static string[] RuleIds(MeshView view) => [.. view.ToDeviceConfig().Rules.Select(r => r.Id)];

    [Fact]
    public void Apply_Snapshot_ReplacesEverythingKnownBefore()
    {
        var view = Seeded();

        var outcome = view.Apply(WatchEvents.Snapshot(
            9,
            WatchEvents.Self("self", WatchEvents.Key(101)),
            [WatchEvents.Peer("p3", WatchEvents.Key(3), "100.64.0.13/32", Until)],
            [WatchEvents.Rule("r2", "p3", 22)]));

        Assert.Equal(WatchApplyOutcome.Applied, outcome);
        Assert.Equal(9UL, view.Serial);
        Assert.True(view.HasSnapshot);
        Assert.Equal(["p3"], PeerIds(view));
        Assert.Equal(["r2"], RuleIds(view));
        Assert.Equal(WatchEvents.Key(101).AsSpan().ToArray(), view.Self!.WireguardPublicKey.ToByteArray());
    }

    [Fact]
    public void Apply_ContiguousDeltas_UpsertAndRemovePeersRulesAndSelf()
    {
        var view = Seeded(5);
        var p1Rekeyed = WatchEvents.Peer("p1", WatchEvents.Key(11), "100.64.0.11/32", Until);

        Assert.Equal(WatchApplyOutcome.Applied, view.Apply(WatchEvents.Delta(
            6,
            upserted: [p1Rekeyed, WatchEvents.Peer("p2", WatchEvents.Key(2), "100.64.0.12/32", Until)],
            rulesAdded: [WatchEvents.Rule("r2", "p2", 80)],
            rulesRemoved: ["r1"])));

        var config = view.ToDeviceConfig();
        Assert.Equal(["p1", "p2"], config.Peers.Select(p => p.NodeId));
        Assert.Equal(WatchEvents.Key(11), config.Peers[0].PublicKey);
        Assert.Equal(["r2"], config.Rules.Select(r => r.Id));

        Assert.Equal(WatchApplyOutcome.Applied, view.Apply(WatchEvents.Delta(
            7,
            peersRemoved: ["p1"],
            self: WatchEvents.Self("self", WatchEvents.Key(102)))));

        Assert.Equal(7UL, view.Serial);
        Assert.Equal(["p2"], PeerIds(view));
        Assert.Equal(WatchEvents.Key(102).AsSpan().ToArray(), view.Self!.WireguardPublicKey.ToByteArray());
    }

    [Fact]
    public void Apply_ReplayedDelta_IsNoChangeAndLeavesStateAlone()
    {
        var view = Seeded(5);
        Assert.Equal(WatchApplyOutcome.Applied, view.Apply(WatchEvents.Delta(6, peersRemoved: ["p1"])));

        // A resume may repeat what was already applied: an old delta must not bring p1 back.
        var replay = WatchEvents.Delta(6, upserted: [WatchEvents.Peer("p1", WatchEvents.Key(1), "100.64.0.11/32", Until)]);
        Assert.Equal(WatchApplyOutcome.NoChange, view.Apply(replay));
        Assert.Equal(WatchApplyOutcome.NoChange, view.Apply(WatchEvents.Delta(4, upserted: replay.Delta.PeersUpserted)));

        Assert.Equal(6UL, view.Serial);
        Assert.Empty(PeerIds(view));
    }

    [Fact]
    public void Apply_CallMe_ThatAnyPeerMayCauseUpTo4TimesASecond_ChangesNothing_AndIsNoGap()
    {
        // The agent hands call-me to the path manager before the view; should one reach the view, it must
        // not cost a resync: no snapshot, no reconnect.
        var view = Seeded(5);
        var before = PeerIds(view);
        var callMe = new WatchEvent { Serial = 5, CallMe = new CallMeEvent { FromNodeId = "p1" } };
        callMe.CallMe.Endpoints.Add("198.51.100.7:51820");
        Assert.Equal(WatchApplyOutcome.NoChange, view.Apply(callMe));
        Assert.Equal(WatchApplyOutcome.NoChange, view.Apply(new WatchEvent { Serial = 99, CallMe = callMe.CallMe }));
        Assert.Equal(5UL, view.Serial);
        Assert.Equal(before, PeerIds(view));
    }

    [Fact]
    public void ToPathPeers_AreTheDevicesPeers_WithPreviousKeyCandidatesAndHomeRelay()
    {
        var view = Seeded(5);
        var rotating = WatchEvents.Peer("p2", WatchEvents.Key(2), "100.64.0.12/32", Until, "198.51.100.2:51820", "db.example:51820", "[2001:db8::2]:41641");
        rotating.PreviousWireguardPublicKey = ByteString.CopyFrom(WatchEvents.Key(20).AsSpan());
        rotating.HomeRelay = "coordinator";
        var badPrevious = WatchEvents.Peer("p3", WatchEvents.Key(3), "100.64.0.13/32", Until);
        badPrevious.PreviousWireguardPublicKey = ByteString.CopyFrom([1, 2, 3]);
        var badKey = WatchEvents.Peer("p4", WatchEvents.Key(4), "100.64.0.14/32", Until);
        badKey.WireguardPublicKey = ByteString.CopyFrom([1, 2, 3]);
        Assert.Equal(WatchApplyOutcome.Applied, view.Apply(WatchEvents.Delta(6, upserted: [rotating, badPrevious, badKey])));

        var peers = view.ToPathPeers();
        Assert.Equal(PeerIds(view), peers.Select(p => p.NodeId));
        Assert.Equal(["p1", "p2", "p3"], peers.Select(p => p.NodeId));

        var p1 = peers[0];
        Assert.Null(p1.PreviousKey);
        Assert.Null(p1.HomeRelay);
        Assert.Empty(p1.Candidates);

        var p2 = peers[1];
        Assert.Equal(WatchEvents.Key(2), p2.PublicKey);
        Assert.Equal(WatchEvents.Key(20), p2.PreviousKey);
        Assert.Equal("coordinator", p2.HomeRelay);
        Assert.Equal(["198.51.100.2:51820", "[2001:db8::2]:41641"], p2.Candidates.Select(c => c.ToString()));

        Assert.Null(peers[2].PreviousKey);
    }

    [Fact]
    public void Apply_DeltaWithSerialGap_ReturnsGapWithoutApplyingIt()
    {
        var view = Seeded(5);

        var outcome = view.Apply(WatchEvents.Delta(7, peersRemoved: ["p1"]));

        Assert.Equal(WatchApplyOutcome.Gap, outcome);
        Assert.Equal(5UL, view.Serial);
        Assert.Equal(["p1"], PeerIds(view));
    }

    [Fact]
    public void Apply_DeltaBeforeAnySnapshot_ReturnsGap()
    {
        var view = new MeshView();

        Assert.Equal(WatchApplyOutcome.Gap, view.Apply(WatchEvents.Delta(1, upserted: [WatchEvents.Peer("p1", WatchEvents.Key(1), "100.64.0.11/32", Until)])));
        Assert.False(view.HasSnapshot);
        Assert.Equal(0, view.PeerCount);
    }

    [Fact]
    public void Apply_HeartbeatAndRotationSignals_AreNoChange()
    {
        var view = Seeded(5);

        Assert.Equal(WatchApplyOutcome.NoChange, view.Apply(WatchEvents.Heartbeat(5)));
        Assert.Equal(WatchApplyOutcome.NoChange, view.Apply(WatchEvents.RotateNow(5)));
        Assert.Equal(5UL, view.Serial);
        Assert.Equal(["p1"], PeerIds(view));
    }

    [Fact]
    public void Reset_ThenSnapshot_StartsOverFromTheSnapshot()
    {
        var view = Seeded(5);

        view.Reset();

        Assert.False(view.HasSnapshot);
        Assert.Equal(0UL, view.Serial);
        Assert.Equal(WatchApplyOutcome.Gap, view.Apply(WatchEvents.Delta(6, peersRemoved: ["p1"])));

        Assert.Equal(WatchApplyOutcome.Applied, view.Apply(WatchEvents.Snapshot(
            3,
            WatchEvents.Self("self", WatchEvents.Key(100)),
            [WatchEvents.Peer("p2", WatchEvents.Key(2), "100.64.0.12/32", Until)])));
        Assert.Equal(3UL, view.Serial);
        Assert.Equal(["p2"], PeerIds(view));
        Assert.Equal(WatchApplyOutcome.Applied, view.Apply(WatchEvents.Delta(4, peersRemoved: ["p2"])));
        Assert.Empty(PeerIds(view));
    }

    [Fact]
    public void ToDeviceConfig_MalformedEntries_AreLeftOutAndCounted()
    {
        var shortKey = WatchEvents.Peer("bad-key", WatchEvents.Key(2), "100.64.0.12/32", Until);
        shortKey.WireguardPublicKey = ByteString.CopyFrom(new byte[31]);
        var badPrefix = WatchEvents.Peer("bad-ip", WatchEvents.Key(3), "100.64.0.300/32", Until);
        var noEnd = WatchEvents.Peer("no-end", WatchEvents.Key(4), "100.64.0.14/32", Until);
        noEnd.ValidUntil = null;
        var badSource = WatchEvents.Rule("bad-source", "good", 443);
        badSource.SourceAddresses.Add("not-a-prefix");
        var view = new MeshView();
        view.Apply(WatchEvents.Snapshot(
            1,
            WatchEvents.Self("self", WatchEvents.Key(100)),
            [WatchEvents.Peer("good", WatchEvents.Key(1), "100.64.0.11/32", Until), shortKey, badPrefix, noEnd],
            [
                WatchEvents.Grant("good-grant", "good", 5432, Until),
                WatchEvents.Grant("endless-grant", "good", 5433, notAfter: null),
                WatchEvents.Rule("no-protocol", "good", 80, Protocol.Unspecified),
                WatchEvents.Rule("port-zero", "good", 0),
                WatchEvents.Rule("port-too-big", "good", 70000),
                WatchEvents.Rule("no-source", "", 81),
                badSource,
            ]));

        var config = view.ToDeviceConfig();

        Assert.Equal(["good"], config.Peers.Select(p => p.NodeId));
        Assert.Equal(["good-grant"], config.Rules.Select(r => r.Id));
        Assert.Equal(3 + 6, view.Rejected);
    }

    [Fact]
    public void ToDeviceConfig_Grant_MapsToGrantRuleBoundToSourceNodeIdentity()
    {
        var grant = WatchEvents.Grant("g1", "laptop-id", 5432, Until);
        grant.SourceAddresses.Add("100.64.0.2/32");
        var view = new MeshView();
        view.Apply(WatchEvents.Snapshot(1, WatchEvents.Self("self", WatchEvents.Key(100)), rules: [grant, WatchEvents.Rule("r1", "ci-id", 53, Protocol.Udp)]));

        var rules = view.ToDeviceConfig().Rules;

        var g = Assert.Single(rules, r => r.Id == "g1");
        Assert.Equal(FilterRuleKind.Grant, g.Kind);
        Assert.Equal(Until, g.NotAfter);
        Assert.Equal(MeshIdentity.ForNode("laptop-id"), g.Peer);
        Assert.Equal(FilterProtocol.Tcp, g.Protocol);
        Assert.Equal((ushort)5432, g.PortFrom);
        Assert.Equal((ushort)5432, g.PortTo);
        Assert.Equal([IpPrefix.Parse("100.64.0.2/32")], g.SourcePrefixes);

        var r = Assert.Single(rules, r => r.Id == "r1");
        Assert.Equal(FilterRuleKind.Rule, r.Kind);
        Assert.Null(r.NotAfter);
        Assert.Equal(FilterProtocol.Udp, r.Protocol);
        Assert.Equal(MeshIdentity.ForNode("ci-id"), r.Peer);
        Assert.Equal(0, view.Rejected);
    }

    [Fact]
    public void ToDeviceConfig_Peer_CarriesKeyAddressesEndIntoTheDeviceConfig_AndSkipsUnusableEndpoints()
    {
        var view = new MeshView();
        view.Apply(WatchEvents.Snapshot(
            1,
            WatchEvents.Self("self", WatchEvents.Key(100)),
            [WatchEvents.Peer("p1", WatchEvents.Key(1), "100.64.0.11/32", Until, "192.0.2.7:51820", "db.example:51820", "192.0.2.8:0", "[2001:db8::7]:51820")]));

        var peer = Assert.Single(view.ToDeviceConfig().Peers);

        Assert.Equal("p1-name", peer.Name);
        Assert.Equal(WatchEvents.Key(1), peer.PublicKey);
        Assert.Equal([IpPrefix.Parse("100.64.0.11/32")], peer.AllowedIps);
        Assert.Equal(Until, peer.ValidUntil);
        Assert.Equal(["192.0.2.7:51820", "[2001:db8::7]:51820"], peer.Endpoints.Select(e => e.ToString()));
        Assert.Equal(0, view.Rejected);
    }

    [Fact]
    public void MeshIdentity_ForNode_IsStablePerNodeAndDistinctAcrossNodes()
    {
        Assert.Equal(MeshIdentity.ForNode("n1"), MeshIdentity.ForNode("n1"));
        Assert.NotEqual(MeshIdentity.ForNode("n1"), MeshIdentity.ForNode("n2"));
        Assert.Throws<ArgumentException>(() => MeshIdentity.ForNode(""));
    }
}
