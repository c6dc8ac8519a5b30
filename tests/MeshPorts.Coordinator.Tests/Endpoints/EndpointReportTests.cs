using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests.Endpoints;

public sealed class EndpointReportTests
{
    private const string ReportMethod = "/meshports.node.v1.NodeControl/ReportEndpoints";
    private const string CallMeMethod = "/meshports.node.v1.NodeControl/CallMe";

    private static EndpointReport Report(string homeRelay, params string[] candidates)
    {
        var report = new EndpointReport { HomeRelay = homeRelay };
        report.Candidates.AddRange(candidates);
        return report;
    }

    private static async Task ReportAsync(TestCoordinator c, TestNode node, EndpointReport report)
    {
        report.Auth = await node.SignAsync(report, ReportMethod);
        await c.Node.ReportEndpointsAsync(report);
    }

    private static async Task CallMeAsync(TestCoordinator c, TestNode node, string peerNodeId)
    {
        var request = new CallMeRequest { PeerNodeId = peerNodeId };
        request.Auth = await node.SignAsync(request, CallMeMethod);
        await c.Node.CallMeAsync(request);
    }

    private static async Task<StatusCode> RefusedAsync(Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        return ex.StatusCode;
    }

    [Fact]
    public async Task Candidates_ReachThePeer_InOneDelta_AfterTheEnrollmentEndpoints_WithTheHomeRelay()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
        using var watch = await b.WatchAsync();
        var snap = await WatchReader.NextAsync(watch);
        var enrolled = Assert.Single(snap.Snapshot.Peers).Endpoints.ToArray();
        Assert.Equal(["127.0.0.1:51820"], enrolled);

        await ReportAsync(c, a, Report("coordinator", "198.51.100.7:51820", "10.0.0.5:51820", "198.51.100.7:51820", "127.0.0.1:51820"));
        var delta = await WatchReader.NextAsync(watch);
        Assert.Equal(WatchEvent.EventOneofCase.Delta, delta.EventCase);
        Assert.Equal(snap.Serial + 1, delta.Serial);
        var peer = Assert.Single(delta.Delta.PeersUpserted);
        Assert.Equal(a.Id, peer.NodeId);
        Assert.Equal([.. enrolled, "198.51.100.7:51820", "10.0.0.5:51820"], peer.Endpoints);
        Assert.Equal("coordinator", peer.HomeRelay);
        Assert.Equal(1, await MetricsReader.ReadAsync(c, "meshports_endpoint_reports_accepted_total"));
    }

    [Fact]
    public async Task UnchangedReport_PublishesNothing_AndANodeNoGrantTouches_LeaksNothing()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        using var stranger = await c.EnrollAsync("stranger");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
        using var watchB = await b.WatchAsync();
        using var watchStranger = await stranger.WatchAsync();
        var snapB = await WatchReader.NextAsync(watchB);
        var snapStranger = await WatchReader.NextAsync(watchStranger);
        Assert.Empty(snapStranger.Snapshot.Peers);

        await ReportAsync(c, a, Report("", "198.51.100.7:51820"));
        Assert.Equal(snapB.Serial + 1, (await WatchReader.NextAsync(watchB)).Serial);
        c.Time.Advance(TimeSpan.FromSeconds(1));
        await ReportAsync(c, a, Report("", "198.51.100.7:51820"));

        // The next change each stream sees comes right after what it had: the unchanged report published
        // nothing to b, and no report of a's ever reached the stranger.
        await ReportAsync(c, a, Report("", "198.51.100.8:51820"));
        Assert.Equal(snapB.Serial + 2, (await WatchReader.NextAsync(watchB)).Serial);
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "stranger"));
        var first = await WatchReader.NextAsync(watchStranger);
        Assert.Equal(snapStranger.Serial + 1, first.Serial);
        Assert.Contains("198.51.100.8:51820", Assert.Single(first.Delta.PeersUpserted).Endpoints);
    }

    [Theory]
    [InlineData("example.com:51820")]
    [InlineData("0.0.0.0:51820")]
    [InlineData("224.0.0.1:51820")]
    [InlineData("198.51.100.7:0")]
    [InlineData("198.51.100.7")]
    [InlineData("[fe80::1%eth0]:51820")]
    public async Task Report_WithAnUnusableCandidate_IsRefused_AndChangesNothing(string candidate)
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
        Assert.Equal(StatusCode.InvalidArgument, await RefusedAsync(() => ReportAsync(c, a, Report("", "198.51.100.7:51820", candidate))));
        using var watch = await b.WatchAsync();
        Assert.Equal(["127.0.0.1:51820"], Assert.Single((await WatchReader.NextAsync(watch)).Snapshot.Peers).Endpoints);
        Assert.Equal(1, await MetricsReader.ReadAsync(c, "meshports_endpoint_reports_refused_total"));
    }

    [Fact]
    public async Task Report_WithTooManyCandidates_ABadHomeRelay_OrABadPath_IsRefused()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        var many = Enumerable.Range(1, 17).Select(i => $"198.51.100.{i}:51820").ToArray();
        Assert.Equal(StatusCode.InvalidArgument, await RefusedAsync(() => ReportAsync(c, a, Report("", many))));
        c.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(StatusCode.InvalidArgument, await RefusedAsync(() => ReportAsync(c, a, Report("Relay_EU!"))));
        var badPath = Report("");
        badPath.Paths.Add(new PeerPath { PeerNodeId = "n_0123456789abcdef", Path = "teleport" });
        Assert.Equal(StatusCode.InvalidArgument, await RefusedAsync(() => ReportAsync(c, a, badPath)));
    }

    [Theory]
    [InlineData("n_0123456789abcdef", "direct", "\u001b[2J198.51.100.7:51820", 0)]
    [InlineData("n_0123456789abcdef", "direct", "relay\u001b]0;owned\u0007", 0)]
    [InlineData("\u001b[31mn_0123456789abcdef", "direct", "", 0)]
    [InlineData("n_0123456789ABCDEF", "direct", "", 0)]
    [InlineData("n_0123456789abcdef", "direct", "", -1)]
    [InlineData("n_0123456789abcdef", "direct\n", "", 0)]
    public async Task Report_WithAPathAnAdminsTerminalCouldNotShowSafely_IsRefused_AndNothingIsStored(string peer, string path, string endpoint, long rtt)
    {
        // meshctl nodes show prints these fields: a node must not get escapes or odd text onto an admin's screen.
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        var report = Report("", "198.51.100.7:51820");
        report.Paths.Add(new PeerPath { PeerNodeId = peer, Path = path, Endpoint = endpoint, RttUs = rtt });
        Assert.Equal(StatusCode.InvalidArgument, await RefusedAsync(() => ReportAsync(c, a, report)));
        var node = (await c.Admin.GetNodeAsync(new GetNodeRequest { Name = "a" })).Node;
        Assert.Empty(node.Candidates);
        Assert.Empty(node.Paths);
    }

    [Fact]
    public async Task Reports_BeyondABurstOfFive_AreRateLimited_ThenOneASecond()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        for (var i = 0; i < 5; i++)
        {
            await ReportAsync(c, a, Report("", $"198.51.100.{i + 1}:51820"));
        }

        Assert.Equal(StatusCode.ResourceExhausted, await RefusedAsync(() => ReportAsync(c, a, Report("", "198.51.100.9:51820"))));
        c.Time.Advance(TimeSpan.FromSeconds(1));
        await ReportAsync(c, a, Report("", "198.51.100.9:51820"));
        Assert.Equal(StatusCode.ResourceExhausted, await RefusedAsync(() => ReportAsync(c, a, Report("", "198.51.100.10:51820"))));
    }

    [Fact]
    public async Task Report_SignedByOneNode_CannotBeAttributedToAnother()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
        var report = Report("", "203.0.113.66:51820");
        report.Auth = await b.SignAsync(report, ReportMethod);
        report.Auth.MachinePublicKey = Google.Protobuf.ByteString.CopyFrom(a.MachinePublicKey);
        Assert.Equal(StatusCode.Unauthenticated, await RefusedAsync(async () => await c.Node.ReportEndpointsAsync(report)));

        // A signed report whose candidates were changed after signing is refused too.
        var tampered = Report("", "198.51.100.7:51820");
        tampered.Auth = await a.SignAsync(tampered, ReportMethod);
        tampered.Candidates[0] = "203.0.113.66:51820";
        Assert.Equal(StatusCode.Unauthenticated, await RefusedAsync(async () => await c.Node.ReportEndpointsAsync(tampered)));
    }

    [Fact]
    public async Task CallMe_ReachesThePeersOpenStream_WithTheCallersCandidates_AndIsNotQueuedForLater()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
        await ReportAsync(c, a, Report("", "198.51.100.7:51820"));

        // b offline: nothing is delivered, and nothing waits for b's next stream.
        await CallMeAsync(c, a, b.Id);
        Assert.Equal(1, await MetricsReader.ReadAsync(c, "meshports_call_me_refused_total"));

        using var watch = await b.WatchAsync();
        var snap = await WatchReader.NextAsync(watch);
        Assert.Equal(WatchEvent.EventOneofCase.Snapshot, snap.EventCase);
        await CallMeAsync(c, a, b.Id);
        var call = await WatchReader.NextAsync(watch);
        Assert.Equal(WatchEvent.EventOneofCase.CallMe, call.EventCase);
        Assert.Equal(a.Id, call.CallMe.FromNodeId);
        Assert.Equal(["127.0.0.1:51820", "198.51.100.7:51820"], call.CallMe.Endpoints);
        Assert.Equal(snap.Serial, call.Serial);
        Assert.Equal(1, await MetricsReader.ReadAsync(c, "meshports_call_me_delivered_total"));
    }

    [Fact]
    public async Task CallMe_ToANodeOutsideTheNetmap_IsRefusedAlike_WhetherItExistsOrNot()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var stranger = await c.EnrollAsync("stranger");
        using var watch = await stranger.WatchAsync();
        await WatchReader.NextAsync(watch);

        var real = await Assert.ThrowsAsync<RpcException>(() => CallMeAsync(c, a, stranger.Id));
        var ghost = await Assert.ThrowsAsync<RpcException>(() => CallMeAsync(c, a, "n-does-not-exist"));
        Assert.Equal(StatusCode.PermissionDenied, real.StatusCode);
        Assert.Equal(real.StatusCode, ghost.StatusCode);
        Assert.Equal(real.Status.Detail, ghost.Status.Detail);

        // Nothing reached the stranger: the next event it sees is the delta of a later grant.
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "stranger"));
        Assert.Equal(WatchEvent.EventOneofCase.Delta, (await WatchReader.NextAsync(watch)).EventCase);
    }

    [Fact]
    public async Task CallMe_Flood_IsRateLimitedAtFourASecond()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
        for (var i = 0; i < 4; i++)
        {
            await CallMeAsync(c, a, b.Id);
        }

        Assert.Equal(StatusCode.ResourceExhausted, await RefusedAsync(() => CallMeAsync(c, a, b.Id)));
        c.Time.Advance(TimeSpan.FromMilliseconds(250));
        await CallMeAsync(c, a, b.Id);
    }

    [Fact]
    public async Task GetNode_ShowsTheLastReport_WithPeersByName_AndNothingBeforeOne()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
        var before = (await c.Admin.GetNodeAsync(new GetNodeRequest { Name = "a" })).Node;
        Assert.Empty(before.Candidates);
        Assert.Empty(before.Paths);

        var report = Report("coordinator", "198.51.100.7:51820");
        report.Paths.Add(new PeerPath { PeerNodeId = b.Id, Path = "direct", Endpoint = "203.0.113.9:51820", RttUs = 12_250 });
        report.Paths.Add(new PeerPath { PeerNodeId = "n_00000000000000ff", Path = "none" });
        await ReportAsync(c, a, report);

        var node = (await c.Admin.GetNodeAsync(new GetNodeRequest { Name = "a" })).Node;
        Assert.Equal(["198.51.100.7:51820"], node.Candidates);
        Assert.Equal("coordinator", node.HomeRelay);
        Assert.Equal(["b", "n_00000000000000ff"], node.Paths.Select(p => p.Peer));
        Assert.Equal("203.0.113.9:51820", node.Paths[0].Endpoint);
        Assert.Equal(12_250, node.Paths[0].RttUs);
    }

    [Fact]
    public async Task RemovedNode_ItsCandidatesLeaveWithIt()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
        await ReportAsync(c, a, Report("", "198.51.100.7:51820"));
        await c.Admin.RemoveNodeAsync(new RemoveNodeRequest { Name = "a" });
        Assert.Equal(StatusCode.Unauthenticated, await RefusedAsync(() => ReportAsync(c, a, Report("", "198.51.100.8:51820"))));
    }
}
