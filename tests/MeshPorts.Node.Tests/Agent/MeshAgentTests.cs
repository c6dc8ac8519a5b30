using System.Net;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Agent;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Device;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Tests.Filter;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Tests.Agent;

public sealed class MeshAgentTests
{
    private const string LaptopId = "node-laptop";

    private static readonly WgKey LaptopKey = WatchEvents.Key(7);

    private static WatchEvent LaptopSnapshot(AgentHarness h, ulong serial, WgKey? published = null) => WatchEvents.Snapshot(
        serial,
        WatchEvents.Self("node-db", published ?? h.CurrentPublic, DateTimeOffset.UtcNow.AddHours(1)),
        [WatchEvents.Peer(LaptopId, LaptopKey, "100.64.0.2/32", DateTimeOffset.UtcNow.AddHours(1), "192.0.2.2:51820")],
        [WatchEvents.Grant("g1", LaptopId, 5432, DateTimeOffset.UtcNow.AddHours(1))]);

    private static void AssertAppearsBefore(AgentHarness h, string first, string second)
    {
        var log = h.Log.ToList();
        var a = log.IndexOf(first);
        var b = log.IndexOf(second);
        Assert.True(a >= 0 && b >= 0 && a < b, $"expected '{first}' before '{second}'; log: {string.Join(", ", log)}");
    }

    [Fact]
    public async Task Snapshot_IsAppliedToTheDevice_AndAckedWithItsSerial()
    {
        await using var h = new AgentHarness();
        h.Start();
        var watch = await h.Link.NextWatchAsync("first connect");
        Assert.Equal(0UL, watch.ResumeFrom);

        watch.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);

        var peer = Assert.Single(h.Device.MeshPeers());
        Assert.Equal(LaptopId, peer.NodeId);
        Assert.Equal(LaptopKey, peer.PublicKey);
        var rule = Assert.Single(h.Filter.Rules);
        Assert.Equal("g1", rule.Id);
        Assert.Equal(MeshIdentity.ForNode(LaptopId), rule.Peer);
        var status = h.Agent.Status();
        Assert.True(status.Connected);
        Assert.Equal(7UL, status.Serial);
    }

    [Fact]
    public async Task CallMe_GoesToThePathManager_WithoutAnAckOrAResync()
    {
        await using var h = new AgentHarness();
        var calls = new RecordingCallMeHandler();
        h.Agent.CallMeHandler = calls;
        h.Start();
        var watch = await h.Link.NextWatchAsync("first connect");
        watch.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);

        var callMe = new WatchEvent { CallMe = new CallMeEvent { FromNodeId = LaptopId } };
        callMe.CallMe.Endpoints.Add("198.51.100.7:41641");
        watch.Send(callMe);
        watch.Send(new WatchEvent { CallMe = new CallMeEvent() });
        watch.Send(WatchEvents.Delta(8, peersRemoved: [LaptopId]));
        await h.Link.AckedAsync(8);

        var (from, endpoints) = Assert.Single(calls.Calls);
        Assert.Equal(LaptopId, from);
        Assert.Equal(["198.51.100.7:41641"], endpoints);
        Assert.Equal(8UL, h.Agent.Status().Serial);
    }

    private sealed class RecordingCallMeHandler : MeshPorts.Node.Paths.ICallMeHandler
    {
        public System.Collections.Concurrent.ConcurrentQueue<(string From, IReadOnlyList<string> Endpoints)> Calls { get; } = new();

        public void OnCallMe(string fromNodeId, IReadOnlyList<string> endpoints) => Calls.Enqueue((fromNodeId, endpoints));
    }

    [Fact]
    public async Task Delta_IsAppliedAndAcked()
    {
        await using var h = new AgentHarness();
        h.Start();
        var watch = await h.Link.NextWatchAsync("first connect");
        watch.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);

        watch.Send(WatchEvents.Delta(8, peersRemoved: [LaptopId], rulesRemoved: ["g1"]));
        await h.Link.AckedAsync(8);

        Assert.Empty(h.Device.MeshPeers());
        Assert.Empty(h.Filter.Rules);
    }

    [Fact]
    public async Task StreamError_Reconnects_ResumingFromTheLastSerial()
    {
        await using var h = new AgentHarness();
        h.Start();
        var first = await h.Link.NextWatchAsync("first connect");
        first.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);

        first.Break(new IOException("connection reset by coordinator"));

        var second = await h.Link.NextWatchAsync("reconnect after the stream broke");
        Assert.Equal(7UL, second.ResumeFrom);
        second.Send(WatchEvents.Delta(8, peersRemoved: [LaptopId]));
        await h.Link.AckedAsync(8);
        Assert.Empty(h.Device.MeshPeers());
    }

    [Fact]
    public async Task StreamError_KeepsWhatIsStillValidOnTheDevice()
    {
        await using var h = new AgentHarness();
        h.Start();
        var first = await h.Link.NextWatchAsync("first connect");
        first.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);

        first.Break(new IOException("coordinator unreachable"));
        await h.Link.NextWatchAsync("reconnect");

        // Fail static: losing the coordinator tears nothing down; ValidUntil does that on its own.
        Assert.Single(h.Device.MeshPeers());
        Assert.Single(h.Filter.Rules);
    }

    [Fact]
    public async Task EveryStreamFailure_MovesToTheNextReplica_RoundRobin()
    {
        await using var h = new AgentHarness();
        h.Link.Replicas = [new Uri("https://a:7443"), new Uri("https://b:7443")];
        h.Start();
        var first = await h.Link.NextWatchAsync("first connect");
        first.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);

        first.Break(new IOException("connection refused"));
        var second = await h.Link.NextWatchAsync("on the second replica");
        Assert.Equal(new Uri("https://b:7443"), h.Link.CurrentUrl);

        second.Break(new TimeoutException("no answer"));
        await h.Link.NextWatchAsync("back on the first");
        Assert.Equal(new Uri("https://a:7443"), h.Link.CurrentUrl);
        Assert.Equal(["replica 1", "replica 0"], h.Log.Where(e => e.StartsWith("replica ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task CoordinatorThatCannotBeConnectedTo_IsRetriedWithinTheOutageCeiling_NotTheLongBackoff()
    {
        // Answered failures would wait 0.2, 0.4, 0.8, 1.6 s ... (3 s for four); connect failures at most 50 ms each.
        await using var h = new AgentHarness(AgentHarness.Fast with
        {
            InitialBackoff = TimeSpan.FromMilliseconds(200),
            MaxBackoff = TimeSpan.FromSeconds(10),
            OutageMaxBackoff = TimeSpan.FromMilliseconds(50),
        });
        h.Start();
        var call = await h.Link.NextWatchAsync("first connect");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 6; i++)
        {
            call.Break(new CoordinatorException(CoordinatorErrorKind.Unreachable, "connection refused", connectFailed: true));
            call = await h.Link.NextWatchAsync($"retry {i + 1} after a refused connection");
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"six retries after refused connections took {clock.Elapsed.TotalMilliseconds:0} ms; at most 50 ms each was the rule");
    }

    [Fact]
    public async Task CoordinatorThatAnsweredWithAFailure_IsRetriedOnTheDoublingBackoff()
    {
        await using var h = new AgentHarness(AgentHarness.Fast with
        {
            InitialBackoff = TimeSpan.FromMilliseconds(200),
            MaxBackoff = TimeSpan.FromSeconds(10),
            OutageMaxBackoff = TimeSpan.FromMilliseconds(50),
            Jitter = () => 0,
        });
        h.Start();
        var call = await h.Link.NextWatchAsync("first connect");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 4; i++)
        {
            call.Break(new CoordinatorException(CoordinatorErrorKind.Other, "resource exhausted"));
            call = await h.Link.NextWatchAsync($"retry {i + 1} after an answered failure");
        }

        // 0.2 + 0.4 + 0.8 + 1.6 s without jitter.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.9), $"four retries after answered failures took only {clock.Elapsed.TotalMilliseconds:0} ms; the doubling backoff is 3 s");
    }

    [Fact]
    public async Task SerialGap_RestartsOnTheSameReplica()
    {
        await using var h = new AgentHarness();
        h.Link.Replicas = [new Uri("https://a:7443"), new Uri("https://b:7443")];
        h.Start();
        var first = await h.Link.NextWatchAsync("first connect");
        first.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);

        first.Send(WatchEvents.Delta(9, peersRemoved: [LaptopId]));
        await h.Link.NextWatchAsync("reconnect after the gap");

        // A gap is the stream's content, not the replica failing: no reason to leave it.
        Assert.Equal(new Uri("https://a:7443"), h.Link.CurrentUrl);
        Assert.DoesNotContain(h.Log, e => e.StartsWith("replica ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SerialGap_ReconnectsAskingForAFreshSnapshot()
    {
        await using var h = new AgentHarness();
        h.Start();
        var first = await h.Link.NextWatchAsync("first connect");
        first.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);

        first.Send(WatchEvents.Delta(9, peersRemoved: [LaptopId]));

        var second = await h.Link.NextWatchAsync("reconnect after the gap");
        Assert.Equal(0UL, second.ResumeFrom);
        Assert.Single(h.Device.MeshPeers());
    }

    [Fact]
    public async Task SilenceLongerThanWatchSilence_Reconnects()
    {
        await using var h = new AgentHarness(AgentHarness.Fast with { WatchSilence = TimeSpan.FromMilliseconds(300) });
        h.Start();
        var first = await h.Link.NextWatchAsync("first connect");
        first.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);

        // Nothing more is sent on the first stream, and it is never closed.
        var second = await h.Link.NextWatchAsync("reconnect after silence");

        Assert.Equal(7UL, second.ResumeFrom);
    }

    [Fact]
    public async Task FatalError_EndsRunWithAgentFatalException()
    {
        await using var h = new AgentHarness();
        h.Link.Fatal = ex => ex is UnauthorizedAccessException ? "this node was removed; enroll it again" : null;
        h.Start();
        var watch = await h.Link.NextWatchAsync("first connect");

        watch.Break(new UnauthorizedAccessException("UNAUTHENTICATED"));

        var error = await Assert.ThrowsAsync<AgentFatalException>(() => h.Run.WaitAsync(FakeCoordinatorLink.Wait));
        Assert.Equal("this node was removed; enroll it again", error.Message);
        Assert.Equal(1, h.Link.WatchCount);
        Assert.False(h.Agent.Status().Connected);
    }

    [Fact]
    public async Task RotateNow_RegistersASavedKey_ThenSwitchesOnRotationReady()
    {
        await using var h = new AgentHarness();
        h.Start();
        var watch = await h.Link.NextWatchAsync("first connect");
        watch.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);

        watch.Send(WatchEvents.RotateNow(7));
        var next = await h.Link.NextRotationAsync();

        Assert.NotEqual(h.CurrentPublic, next);
        AssertAppearsBefore(h, "save:" + next.ToBase64(), "rotate:" + next.ToBase64());
        Assert.Equal(h.CurrentPublic, h.Device.Engine.PublicKey);

        watch.Send(WatchEvents.RotationReady(7, next));
        h.WaitForLog("promote");

        Assert.Equal(next, h.Device.Engine.PublicKey);
        Assert.Equal(next, h.Agent.PublicKey);
        Assert.Equal(1, h.Agent.Status().Rotations);
    }

    [Fact]
    public async Task RotateNow_WithoutRotationReady_SwitchesAfterRotationWait()
    {
        await using var h = new AgentHarness(AgentHarness.Fast with { RotationWait = TimeSpan.FromMilliseconds(200) });
        h.Start();
        var watch = await h.Link.NextWatchAsync("first connect");
        watch.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);

        watch.Send(WatchEvents.RotateNow(7));
        var next = await h.Link.NextRotationAsync();
        h.WaitForLog("promote");

        Assert.Equal(next, h.Device.Engine.PublicKey);
        AssertAppearsBefore(h, "rotate:" + next.ToBase64(), "promote");
    }

    [Fact]
    public async Task RequestRotation_WorksWithoutTheCoordinatorAsking()
    {
        await using var h = new AgentHarness(AgentHarness.Fast with { RotationWait = TimeSpan.FromMilliseconds(200) });
        h.Start();
        var watch = await h.Link.NextWatchAsync("first connect");
        watch.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);

        h.Agent.RequestRotation();
        h.Agent.RequestRotation();
        var next = await h.Link.NextRotationAsync();
        h.WaitForLog("promote");

        Assert.Equal(next, h.Device.Engine.PublicKey);
    }

    [Fact]
    public async Task RepeatedRotateNow_DuringARotation_DoesNotBreakTheStream()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = new AgentHarness();
        h.Link.BeforeRotateAnswer = () => release.Task;
        h.Start();
        var watch = await h.Link.NextWatchAsync("first connect");
        watch.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);
        watch.Send(WatchEvents.RotateNow(7));
        await h.Link.NextRotationAsync();

        // An admin running `meshctl keys rotate` again while this node is still rotating.
        watch.Send(WatchEvents.RotateNow(7));
        watch.Send(WatchEvents.RotateNow(7));
        watch.Send(WatchEvents.Delta(8, peersRemoved: [LaptopId]));

        try
        {
            await h.Link.AckedAsync(8);
            Assert.Equal(1, h.Link.WatchCount);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task SnapshotPublishingTheSavedNextKey_AfterARestart_SwitchesToItAndPromotesIt()
    {
        var next = WgKey.GeneratePrivate();
        await using var h = new AgentHarness(nextKey: next);
        h.Start();
        var watch = await h.Link.NextWatchAsync("first connect");

        watch.Send(LaptopSnapshot(h, 7, published: next.PublicFromPrivate()));
        await h.Link.AckedAsync(7);

        Assert.Equal(next.PublicFromPrivate(), h.Device.Engine.PublicKey);
        Assert.Equal(next.PublicFromPrivate(), h.Agent.PublicKey);
        Assert.Contains("promote", h.Log);
        Assert.DoesNotContain(h.Log, e => e.StartsWith("rotate:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SnapshotPublishingTheCurrentKey_DiscardsANextKeyNeverRegistered()
    {
        var next = WgKey.GeneratePrivate();
        await using var h = new AgentHarness(nextKey: next);
        h.Start();
        var watch = await h.Link.NextWatchAsync("first connect");

        watch.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);

        Assert.Equal(h.CurrentPublic, h.Device.Engine.PublicKey);
        Assert.Contains("discard", h.Log);
        Assert.DoesNotContain("promote", h.Log);
    }

    [Fact]
    public async Task DeniedFlows_AreReportedAggregatedInOneBatch()
    {
        await using var h = new AgentHarness();
        var laptop = MeshIdentity.ForNode(LaptopId);
        var tunReset = new byte[PacketFilter.ResetBufferSize];
        var peerReset = new byte[PacketFilter.ResetBufferSize];
        for (ushort i = 0; i < 3; i++)
        {
            Assert.False(h.Filter.Inbound(laptop, FilterPackets.Tcp("100.64.0.2", (ushort)(40000 + i), "100.64.0.1", 22, 1, 0, FilterPackets.Syn), tunReset, peerReset).IsAllowed);
        }

        Assert.False(h.Filter.Inbound(laptop, FilterPackets.Tcp("100.64.0.2", 40100, "100.64.0.1", 23, 1, 0, FilterPackets.Syn), tunReset, peerReset).IsAllowed);

        h.Start();
        var report = await h.Link.NextReportAsync();

        Assert.Equal(2, report.Count);
        var ssh = Assert.Single(report, f => f.Port == 22);
        Assert.Equal(3u, ssh.Count);
        Assert.Equal(Protocol.Tcp, ssh.Protocol);
        Assert.Equal(IPAddress.Parse("100.64.0.2"), IPAddress.Parse(ssh.SourceAddress));
        Assert.Equal(IPAddress.Parse("100.64.0.1"), IPAddress.Parse(ssh.DestinationAddress));
        Assert.True(ssh.FirstSeen <= ssh.LastSeen);
        Assert.Equal(1u, Assert.Single(report, f => f.Port == 23).Count);
        Assert.Empty(h.Filter.Denied.Drain());
    }

    [Fact]
    public async Task HalfOfTheKeyLifetimePassed_RotatesWithoutBeingAsked()
    {
        await using var h = new AgentHarness(AgentHarness.Fast with { RotationWait = TimeSpan.FromMilliseconds(200) }, keyExpiresAt: DateTimeOffset.UtcNow.AddMinutes(10));
        h.Start();

        var next = await h.Link.NextRotationAsync();
        h.WaitForLog("promote");

        Assert.Equal(next, h.Device.Engine.PublicKey);
        Assert.True(h.Agent.Status().KeyExpiresAt > DateTimeOffset.UtcNow.AddMinutes(50), "the new key's expiry was not taken from the coordinator's answer");
    }

    [Fact]
    public async Task FailedRotation_IsRetriedWithAFreshKey()
    {
        var calls = 0;
        await using var h = new AgentHarness(AgentHarness.Fast with { RotationWait = TimeSpan.FromMilliseconds(200) });
        h.Link.BeforeRotateAnswer = () => Interlocked.Increment(ref calls) == 1 ? Task.FromException(new IOException("coordinator unreachable")) : Task.CompletedTask;
        h.Start();

        h.Agent.RequestRotation();
        var failed = await h.Link.NextRotationAsync();
        var retried = await h.Link.NextRotationAsync();
        h.WaitForLog("promote");

        Assert.NotEqual(failed, retried);
        Assert.Equal(retried, h.Device.Engine.PublicKey);
        AssertAppearsBefore(h, "save:" + retried.ToBase64(), "rotate:" + retried.ToBase64());
    }

    [Fact]
    public async Task Snapshot_ListingThisNodesOwnKeyAsAPeer_LeavesThatPeerOutAndAppliesTheRest()
    {
        await using var h = new AgentHarness();
        h.Start();
        var watch = await h.Link.NextWatchAsync("first connect");
        var snapshot = LaptopSnapshot(h, 7);
        snapshot.Snapshot.Peers.Add(WatchEvents.Peer("node-clone", h.CurrentPublic, "100.64.0.9/32", DateTimeOffset.UtcNow.AddHours(1)));

        watch.Send(snapshot);

        // One bad entry must not stall the whole mesh: today Device.ApplyMesh throws and the agent reconnects forever.
        await h.Link.AckedAsync(7);
        Assert.Equal([LaptopId], h.Device.MeshPeers().Select(p => p.NodeId));
        Assert.Single(h.Filter.Rules);
    }

    [Fact]
    public async Task SnapshotPublishingTheNewKey_DuringARotation_SwitchesAndPromotesOnlyOnce()
    {
        await using var h = new AgentHarness();
        h.Start();
        var first = await h.Link.NextWatchAsync("first connect");
        first.Send(LaptopSnapshot(h, 7));
        await h.Link.AckedAsync(7);
        first.Send(WatchEvents.RotateNow(7));
        var next = await h.Link.NextRotationAsync();

        // The stream breaks while the rotation waits for RotationReady; the coordinator already publishes the new key.
        first.Break(new IOException("connection reset"));
        var second = await h.Link.NextWatchAsync("reconnect during the rotation");
        second.Send(LaptopSnapshot(h, 8, published: next));
        await h.Link.AckedAsync(8);
        second.Send(WatchEvents.RotationReady(8, next));

        var deadline = DateTime.UtcNow + FakeCoordinatorLink.Wait;
        while (h.Agent.Status().Rotations == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the rotation did not finish after RotationReady; log: {string.Join(", ", h.Log)}");
            await Task.Delay(10);
        }

        Assert.Equal(next, h.Device.Engine.PublicKey);
        Assert.Equal(1, h.Log.Count(e => e == "promote"));
    }
}
