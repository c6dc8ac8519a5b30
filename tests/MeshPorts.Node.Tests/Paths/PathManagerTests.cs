using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Node.Tests.Paths;

/// <summary>Two path managers wired through an in-memory network on fake time.</summary>
public sealed class PathManagerTests : IDisposable
{
    private static readonly PeerEndpoint ThirdParty = PathTestData.Ep("203.0.113.66:51820");
    private readonly FakeTimeProvider _time = new(PathTestData.Start);
    private readonly FakeNetwork _network;
    private readonly List<PathNode> _nodes = [];

    public PathManagerTests()
    {
        _network = new FakeNetwork(_time);
    }

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            node.Dispose();
        }
    }

    private PathNode Node(string id, string address, int latencyMs = 5, params string[] otherAddresses)
    {
        var node = new PathNode(_network, id, address, latencyMs, null, otherAddresses);
        _nodes.Add(node);
        return node;
    }

    private (PathNode A, PathNode B) Pair(bool start = true)
    {
        var a = Node("a", "192.0.2.1:51820");
        var b = Node("b", "192.0.2.2:51820");
        a.Manager.Update([b.AsPeer()]);
        b.Manager.Update([a.AsPeer()]);
        if (start)
        {
            a.Manager.Start();
            b.Manager.Start();
        }

        return (a, b);
    }

    private int PingsFrom(PathNode node, PeerEndpoint to) => _network.Sent.Count(s => node.Addresses.Contains(s.From) && s.To == to);

    [Fact]
    public void NewPeer_WithAReachableHomeRelay_IsRelayedAtOnce_AndACallMeAsksItToProbeBack()
    {
        var (a, b) = Pair(start: false);
        Assert.Equal("relay", a.Control.PathOf("b"));
        Assert.Equal("relay", b.Control.PathOf("a"));

        a.Manager.Start();
        _network.Run(TimeSpan.FromMilliseconds(300));
        Assert.Equal(["b"], a.CallMe.Requests);
    }

    [Fact]
    public void NewPeer_WithoutARelay_StartsOnItsFirstCandidate()
    {
        var a = Node("a", "192.0.2.1:51820");
        var b = Node("b", "192.0.2.2:51820");
        a.Manager.Update([b.AsPeer(homeRelay: null)]);
        Assert.Equal("192.0.2.2:51820", a.Control.PathOf("b"));

        a.Relay.Transport = RelayTransport.None;
        a.Manager.Update([b.AsPeer(homeRelay: "coordinator"), Node("c", "192.0.2.3:51820").AsPeer()]);
        Assert.Equal("192.0.2.3:51820", a.Control.PathOf("c"));
    }

    [Fact]
    public void BothProbing_GoDirectWithinOneProbeRound()
    {
        var (a, b) = Pair();
        _network.Run(TimeSpan.FromMilliseconds(500));

        Assert.Equal("192.0.2.2:51820", a.Control.PathOf("b"));
        Assert.Equal("192.0.2.1:51820", b.Control.PathOf("a"));
        var status = Assert.Single(a.Manager.Status());
        // 5 ms out of a, 5 ms into b, and back.
        Assert.Equal(new PeerPathStatus("b", "direct", "192.0.2.2:51820", null, null, TimeSpan.FromMilliseconds(20)), status);
        // What b learns from a's pongs is its own address as a sees it.
        Assert.Equal([b.Address], b.Manager.ObservedAddresses());
    }

    [Fact]
    public void DirectPathSilentFor5s_FallsBackToTheRelay_AndGoesUpAgainOnAPong()
    {
        var (a, b) = Pair();
        _network.Run(TimeSpan.FromSeconds(12));
        Assert.Equal("192.0.2.2:51820", a.Control.PathOf("b"));
        var callMes = a.CallMe.Requests.Count;

        _network.Block(b.Address);
        _network.Run(TimeSpan.FromSeconds(2.9));
        Assert.Equal("192.0.2.2:51820", a.Control.PathOf("b"));
        _network.Run(TimeSpan.FromSeconds(2.4));
        Assert.Equal("relay", a.Control.PathOf("b"));
        Assert.Equal("relay", b.Control.PathOf("a"));
        var relayed = Assert.Single(a.Manager.Status());
        Assert.Equal(new PeerPathStatus("b", "relay", "203.0.113.1:443", "coordinator", "udp", null), relayed);

        // Probing goes on at the burst rate, and the peer is asked to probe back.
        _network.Run(TimeSpan.FromSeconds(1));
        Assert.True(a.CallMe.Requests.Count > callMes);
        var before = PingsFrom(a, b.Address);
        _network.Run(TimeSpan.FromSeconds(2));
        Assert.InRange(PingsFrom(a, b.Address) - before, 4, 5);

        _network.Unblock(b.Address);
        _network.Run(TimeSpan.FromMilliseconds(800));
        Assert.Equal("192.0.2.2:51820", a.Control.PathOf("b"));
        Assert.Equal("192.0.2.1:51820", b.Control.PathOf("a"));
    }

    [Fact]
    public void OnTheChosenDirectPath_PingsGoEvery2s()
    {
        var (a, b) = Pair();
        _network.Run(TimeSpan.FromSeconds(1));

        // Pings only: a's pongs to b's pings go the same way.
        var before = a.Manager.Counters.PingsSent;
        _network.Run(TimeSpan.FromSeconds(10));
        Assert.InRange(a.Manager.Counters.PingsSent - before, 4, 6);
    }

    [Fact]
    public void WithoutAnyAnswer_PingsGoEvery500msFor10s_ThenEvery5s()
    {
        var (a, b) = Pair();
        _network.Block(b.Address);
        _network.Run(TimeSpan.FromSeconds(10));
        Assert.InRange(PingsFrom(a, b.Address), 19, 21);
        var before = PingsFrom(a, b.Address);
        _network.Run(TimeSpan.FromSeconds(20));
        Assert.InRange(PingsFrom(a, b.Address) - before, 3, 5);
        Assert.Equal("relay", a.Control.PathOf("b"));
    }

    [Fact]
    public void OfTwoAnsweringCandidates_TheLowestRoundTripIsChosen()
    {
        var a = Node("a", "192.0.2.1:51820", 5, "[2001:db8::1]:51820");
        var b = Node("b", "192.0.2.2:51820", 5, "[2001:db8::2]:51820");
        _network.SetLatency(b.Addresses[0], TimeSpan.FromMilliseconds(40));
        a.Manager.Update([b.AsPeer(extraCandidates: b.Addresses[1])]);
        b.Manager.Update([a.AsPeer(extraCandidates: a.Addresses[1])]);
        a.Manager.Start();
        b.Manager.Start();
        _network.Run(TimeSpan.FromSeconds(3));

        Assert.Equal("[2001:db8::2]:51820", a.Control.PathOf("b"));
        Assert.Equal(TimeSpan.FromMilliseconds(20), a.Manager.Status()[0].RoundTrip);

        // The IPv6 path slows down: the IPv4 one is clearly faster now, and takes over.
        _network.SetLatency(b.Addresses[1], TimeSpan.FromMilliseconds(200));
        _network.Run(TimeSpan.FromSeconds(8));
        Assert.Equal("192.0.2.2:51820", a.Control.PathOf("b"));
    }

    [Fact]
    public void ACandidateThatNeverAnswers_IsNeverChosen_EvenWhenThePeerSpoofsProbesFromIt()
    {
        var a = Node("a", "192.0.2.1:51820");
        var b = Node("b", "192.0.2.2:51820");

        // b, which cannot reach a directly, tells the coordinator a third party's address is its own.
        _network.Block(b.Address);
        a.Manager.Update([new PathPeer("b", b.PublicKey, null, [ThirdParty], "coordinator")]);
        b.Manager.Update([a.AsPeer()]);
        a.Manager.Start();
        b.Manager.Start();
        _network.Run(TimeSpan.FromSeconds(1));
        Assert.True(PingsFrom(a, ThirdParty) > 0);

        // b forges pongs from the third party's address (it cannot see a's transaction ids), and pings a
        // from there: a answers and probes the address, which never answers.
        var key = new byte[ProbeCodec.KeySize];
        Assert.True(ProbeCodec.TryDeriveKey(b.PrivateKey, a.PublicKey, key));
        for (var i = 0; i < 20; i++)
        {
            var pong = new byte[ProbeCodec.PacketSize];
            ProbeCodec.Seal(new ProbeMessage(ProbeKind.Pong, ProbeTxId.NewRandom(), _time.GetUtcNow().ToUnixTimeMilliseconds(), a.Address), b.PublicKey, key, pong);
            _network.Inject(ThirdParty, a.Address, pong);
            _network.Inject(ThirdParty, a.Address, PathTestData.Ping(b.PrivateKey, a.PublicKey, _time));
            _network.Run(TimeSpan.FromMilliseconds(500));
        }

        _network.Run(TimeSpan.FromSeconds(20));
        Assert.Equal("relay", a.Control.PathOf("b"));
        Assert.DoesNotContain(a.Control.Calls, c => c.Contains("direct", StringComparison.Ordinal));
        Assert.Equal(20, a.Manager.Counters.Unsolicited);
        Assert.Equal(20, a.Manager.Counters.PongsSent);
    }

    [Fact]
    public void AGenuinePongReplayedFromAnotherAddress_MovesNothingThere()
    {
        var (a, b) = Pair();
        _network.Run(TimeSpan.FromSeconds(1));
        Assert.Equal("192.0.2.2:51820", a.Control.PathOf("b"));

        var pongs = _network.Sent.Where(s => s.From == b.Address && s.To == a.Address).Select(s => s.Datagram).ToList();
        foreach (var pong in pongs)
        {
            _network.Inject(ThirdParty, a.Address, pong);
        }

        _network.Run(TimeSpan.FromSeconds(20));
        Assert.DoesNotContain(a.Control.Calls, c => c.Contains(ThirdParty.ToString(), StringComparison.Ordinal));
        Assert.Equal(pongs.Count, a.Manager.Counters.Replay);
        Assert.Equal("192.0.2.2:51820", a.Control.PathOf("b"));
    }

    [Fact]
    public void OnCallMe_FromAPeer_PingsEveryCandidateNow_AndFromAStranger_IsIgnoredAndCounted()
    {
        var (a, b) = Pair();
        _network.Block(b.Address);
        _network.Run(TimeSpan.FromSeconds(12));
        var before = _network.Sent.Count;

        a.Manager.OnCallMe("b", ["198.51.100.20:41641", "[100::9]:1", "not an endpoint"]);
        var sent = _network.Sent.Skip(before).Select(s => s.To).ToList();
        Assert.Contains(b.Address, sent);
        Assert.Contains(PathTestData.Ep("198.51.100.20:41641"), sent);
        Assert.Equal(2, sent.Count);

        before = _network.Sent.Count;
        a.Manager.OnCallMe("mallory", ["198.51.100.21:41641"]);
        Assert.Equal(before, _network.Sent.Count);
        Assert.Equal(1, a.Manager.Counters.CallMeIgnored);

        // Back at the burst rate for the next seconds.
        before = PingsFrom(a, b.Address);
        _network.Run(TimeSpan.FromSeconds(3));
        Assert.InRange(PingsFrom(a, b.Address) - before, 5, 7);
    }

    [Fact]
    public void VirtualMulticastAndUnspecifiedCandidates_AreNeverProbed()
    {
        var a = Node("a", "192.0.2.1:51820");
        var b = Node("b", "192.0.2.2:51820");
        string[] bad = ["[100::1:2]:1", "224.0.0.251:5353", "0.0.0.0:51820", "[::]:51820", "[ff02::1]:51820", "255.255.255.255:51820"];
        a.Manager.Update([b.AsPeer(extraCandidates: [.. bad.Select(PathTestData.Ep)])]);
        a.Manager.Start();
        _network.Run(TimeSpan.FromSeconds(2));

        Assert.All(_network.Sent, s => Assert.True(ProbeTargets.IsAllowed(s.To)));
        Assert.True(PingsFrom(a, b.Address) > 0);
        Assert.Equal(bad.Length, a.Manager.Counters.RefusedTargets);
    }

    [Fact]
    public void WhenTheRelayComesUpLater_APeerWithoutADirectPathMovesToIt()
    {
        var a = Node("a", "192.0.2.1:51820");
        var b = Node("b", "192.0.2.2:51820");
        _network.Block(b.Address);
        a.Relay.Transport = RelayTransport.None;
        a.Manager.Update([b.AsPeer()]);
        a.Manager.Start();
        Assert.Equal("192.0.2.2:51820", a.Control.PathOf("b"));
        Assert.Equal("direct", a.Manager.Status()[0].Path);

        a.Relay.Transport = RelayTransport.Tls;
        _network.Run(TimeSpan.FromMilliseconds(300));
        Assert.Equal("relay", a.Control.PathOf("b"));
        Assert.Equal("tls", a.Manager.Status()[0].Transport);
    }

    [Fact]
    public void CallMes_ForManyNewPeers_ArePacedAt4ASecond()
    {
        var a = Node("a", "192.0.2.1:51820");
        var peers = Enumerable.Range(0, 10)
            .Select(i => new PathPeer($"p{i}", WgKey.GeneratePrivate().PublicFromPrivate(), null, [PathTestData.Ep($"198.51.100.{i + 1}:51820")], "coordinator"))
            .ToList();
        a.Manager.Update(peers);
        a.Manager.Start();
        _network.Run(TimeSpan.FromMilliseconds(300));
        Assert.Equal(4, a.CallMe.Requests.Count);
        _network.Run(TimeSpan.FromSeconds(2));
        Assert.Equal(10, a.CallMe.Requests.Count);
        Assert.Equal(10, a.CallMe.Requests.Distinct().Count());
    }

    [Fact]
    public void AfterThisNodesRotation_ProbesToItsPreviousKey_AreTakenForTheWindow_ThenRefused()
    {
        var a = Node("a", "192.0.2.1:51820");
        var b = Node("b", "192.0.2.2:51820");
        a.Manager.Update([b.AsPeer()]);
        var oldPublic = a.PublicKey;
        var newPrivate = WgKey.GeneratePrivate();
        a.Manager.RotatePrivateKey(newPrivate);
        _time.Advance(TimeSpan.FromSeconds(60));
        _network.Sent.Clear();

        a.Manager.HandleProbe(PathTestData.Ping(b.PrivateKey, oldPublic, _time), b.Address);
        a.Manager.HandleProbe(PathTestData.Ping(b.PrivateKey, newPrivate.PublicFromPrivate(), _time), b.Address);
        Assert.Equal(2, a.Manager.Counters.PongsSent);

        // The pong to a probe under the old key goes under the old key: the peer opens it with what it knows.
        var pongHeaders = _network.Sent.Where(s => s.From == a.Address).Select(s => WgKey.FromBytes(s.Datagram.AsSpan(4, 32))).ToList();
        Assert.Equal([oldPublic, newPrivate.PublicFromPrivate()], pongHeaders);

        _time.Advance(TimeSpan.FromSeconds(61));
        a.Manager.Tick();
        a.Manager.HandleProbe(PathTestData.Ping(b.PrivateKey, oldPublic, _time), b.Address);
        Assert.Equal(1, a.Manager.Counters.BadTag);
        a.Manager.HandleProbe(PathTestData.Ping(b.PrivateKey, newPrivate.PublicFromPrivate(), _time), b.Address);
        Assert.Equal(3, a.Manager.Counters.PongsSent);
    }

    [Fact]
    public void APeersPreviousKey_IsTakenWhileTheNetmapListsIt_ThenRefused()
    {
        var a = Node("a", "192.0.2.1:51820");
        var b = Node("b", "192.0.2.2:51820");
        var bNew = WgKey.GeneratePrivate();
        a.Manager.Update([new PathPeer("b", bNew.PublicFromPrivate(), b.PublicKey, [b.Address], "coordinator")]);

        a.Manager.HandleProbe(PathTestData.Ping(b.PrivateKey, a.PublicKey, _time), b.Address);
        a.Manager.HandleProbe(PathTestData.Ping(bNew, a.PublicKey, _time), b.Address);
        Assert.Equal(2, a.Manager.Counters.PongsSent);

        a.Manager.Update([new PathPeer("b", bNew.PublicFromPrivate(), null, [b.Address], "coordinator")]);
        a.Manager.HandleProbe(PathTestData.Ping(b.PrivateKey, a.PublicKey, _time), b.Address);
        Assert.Equal(1, a.Manager.Counters.UnknownSender);
        Assert.Equal(2, a.Manager.Counters.PongsSent);
    }

    [Fact]
    public void DuringAPeersRotation_BothEndsStillGoDirect()
    {
        var a = Node("a", "192.0.2.1:51820");
        var b = Node("b", "192.0.2.2:51820");

        // The coordinator has published b's next key; b still runs the old one.
        var bNext = WgKey.GeneratePrivate();
        a.Manager.Update([new PathPeer("b", bNext.PublicFromPrivate(), b.PublicKey, [b.Address], "coordinator")]);
        b.Manager.Update([a.AsPeer()]);
        a.Manager.Start();
        b.Manager.Start();
        _network.Run(TimeSpan.FromSeconds(2));
        Assert.Equal("192.0.2.2:51820", a.Control.PathOf("b"));

        // b switches; a's probes under b's old key are still opened, then a hears b's new key.
        b.Manager.RotatePrivateKey(bNext);
        _network.Run(TimeSpan.FromSeconds(20));
        Assert.Equal("192.0.2.2:51820", a.Control.PathOf("b"));
        Assert.Equal("192.0.2.1:51820", b.Control.PathOf("a"));
        Assert.Equal(0, a.Manager.Counters.Dropped);
    }

    [Fact]
    public void APeerRemovedFromTheNetmap_IsForgotten()
    {
        var (a, _) = Pair();
        _network.Run(TimeSpan.FromSeconds(1));
        a.Manager.Update([]);
        Assert.Empty(a.Manager.Status());
        var before = _network.Sent.Count(s => s.From == a.Address);
        _network.Run(TimeSpan.FromSeconds(6));
        Assert.Equal(before, _network.Sent.Count(s => s.From == a.Address));
    }
}
