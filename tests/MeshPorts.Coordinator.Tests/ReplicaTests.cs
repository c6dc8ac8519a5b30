using System.Diagnostics;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Tests.Support;
using Xunit.Abstractions;

namespace MeshPorts.Coordinator.Tests;

/// <summary>
/// Two and three coordinators on one database: a change through any reaches nodes watching any other. Run on
/// every store (SqliteReplicaTests, PostgresReplicaTests).
/// </summary>
public abstract class ReplicaTests
{
    private readonly ITestOutputHelper _output;

    protected ReplicaTests(ITestOutputHelper output)
    {
        _output = output;
    }

    /// <summary>The --store for the first coordinator (replicas share it); null = SQLite in its data dir.</summary>
    protected abstract Task<string?> StoreAsync();

    private async Task<TestCoordinator> StartFirstAsync()
    {
        var store = await StoreAsync();
        return await TestCoordinator.StartAsync(o => o.Store = store);
    }

    [Fact]
    public async Task GrantThroughB_ReachesANodeWatchingA_AndC_WellUnderASecond()
    {
        await using var a = await StartFirstAsync();
        await using var b = await a.StartReplicaAsync();
        await using var c = await a.StartReplicaAsync();
        using var db = await a.EnrollAsync("db");
        using var laptop = await a.EnrollAsync("laptop");
        await Task.Delay(300);
        using var onA = await db.WatchAsync();
        Assert.Empty((await WatchReader.NextAsync(onA)).Snapshot.Peers);
        laptop.UseClient(c.NodeClient());
        using var onC = await laptop.WatchAsync();
        Assert.Empty((await WatchReader.NextAsync(onC)).Snapshot.Peers);

        var watch = Stopwatch.StartNew();
        await b.Admin.AddGrantAsync(TestGrants.For("laptop", "db", 5432, TimeSpan.FromMinutes(30)));
        var deltaA = await WatchReader.NextAsync(onA, timeoutMs: 5_000);
        var atA = watch.Elapsed;
        var deltaC = await WatchReader.NextAsync(onC, timeoutMs: 5_000);
        var atC = watch.Elapsed;
        _output.WriteLine($"grant through B -> delta on A after {atA.TotalMilliseconds:0} ms, on C after {atC.TotalMilliseconds:0} ms");

        Assert.Equal(laptop.Id, Assert.Single(deltaA.Delta.PeersUpserted).NodeId);
        Assert.Equal(db.Id, Assert.Single(deltaC.Delta.PeersUpserted).NodeId);
        Assert.True(atA < TimeSpan.FromSeconds(1.5) && atC < TimeSpan.FromSeconds(1.5), $"A {atA}, C {atC}: the change feed wakes within 100 ms");
    }

    [Fact]
    public async Task ChangesThroughB_RecomputeOnA_OnlyTheNodesTheyTouch_AndAMatchesAFullBuild()
    {
        await using var a = await StartFirstAsync();
        await using var b = await a.StartReplicaAsync();
        var names = new[] { "db", "laptop", "x", "y", "z" };
        var nodes = new List<TestNode>();
        foreach (var name in names)
        {
            nodes.Add(await a.EnrollAsync(name));
        }

        try
        {
            var probe = new NetmapProbe(a);
            await Task.Delay(300);

            // A grant through B: on A only db's and laptop's views are computed, and only they get a delta.
            var serials = probe.Serials(nodes.Select(n => n.Id));
            var built = probe.ViewsBuilt;
            var grant = (await b.Admin.AddGrantAsync(TestGrants.For("laptop", "db", 5432, TimeSpan.FromMinutes(30)))).Grant;
            await UntilAsync(() => probe.Serial(nodes[0].Id) != serials[nodes[0].Id] && probe.Serial(nodes[1].Id) != serials[nodes[1].Id], "A publishes the grant made through B");
            Assert.Equal(2, probe.ViewsBuilt - built);
            Assert.Equal(["db", "laptop"], nodes.Where(n => probe.Serial(n.Id) != serials[n.Id]).Select(n => n.Name));
            await AssertPublishedIsAFullBuildAsync(probe, nodes);

            // A node enrolled through B: its own view alone (it has no peers yet), and nobody gets a delta.
            serials = probe.Serials(nodes.Select(n => n.Id));
            built = probe.ViewsBuilt;
            using var w = await b.EnrollAsync("w");
            await UntilAsync(() => probe.Published(w.Id) is not null, "A publishes the node enrolled through B");
            Assert.Equal(1, probe.ViewsBuilt - built);
            Assert.Empty(nodes.Where(n => probe.Serial(n.Id) != serials[n.Id]).Select(n => n.Name));
            nodes.Add(w);
            await AssertPublishedIsAFullBuildAsync(probe, nodes);

            // The revoke through B: the same two as the grant.
            serials = probe.Serials(nodes.Select(n => n.Id));
            built = probe.ViewsBuilt;
            await b.Admin.RevokeGrantAsync(new RevokeGrantRequest { Id = grant.Id });
            await UntilAsync(() => probe.Serial(nodes[1].Id) != serials[nodes[1].Id], "A publishes the revoke made through B");
            Assert.Equal(2, probe.ViewsBuilt - built);
            await AssertPublishedIsAFullBuildAsync(probe, nodes);
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }
        }
    }

    private static async Task AssertPublishedIsAFullBuildAsync(NetmapProbe probe, List<TestNode> nodes)
    {
        var expected = await probe.ExpectedAsync();
        foreach (var node in nodes)
        {
            Assert.Equal(expected[node.Id], probe.Published(node.Id));
        }
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within 5 s: {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task NodeEnrolledThroughB_AndRemovedThroughB_ComeAndGoOnA()
    {
        await using var a = await StartFirstAsync();
        await using var b = await a.StartReplicaAsync();
        await a.Admin.ApplyPolicyAsync(new PolicyRequest { Text = "rule all: tag:dev -> tag:dev:22/tcp\n" });
        using var first = await a.EnrollAsync("first", tags: ["dev"]);
        using var onA = await first.WatchAsync();
        await WatchReader.NextAsync(onA);

        using var second = await b.EnrollAsync("second", tags: ["dev"]);
        var added = await WatchReader.NextAsync(onA, timeoutMs: 5_000);
        Assert.Equal(second.Id, Assert.Single(added.Delta.PeersUpserted).NodeId);

        await b.Admin.RemoveNodeAsync(new RemoveNodeRequest { Name = "second" });
        var removed = await WatchReader.NextAsync(onA, timeoutMs: 5_000);
        Assert.Equal([second.Id], removed.Delta.PeersRemoved);
        Assert.DoesNotContain((await a.Admin.ListNodesAsync(new ListNodesRequest())).Nodes, n => n.Name == "second");
    }

    [Fact]
    public async Task GrantEndsOnTime_WhileTheReplicaThatMadeItIsDead_AndIsAuditedOnce()
    {
        await using var a = await StartFirstAsync();
        using var db = await a.EnrollAsync("db");
        using var laptop = await a.EnrollAsync("laptop");
        using var onA = await db.WatchAsync();
        await WatchReader.NextAsync(onA);
        var b = await a.StartReplicaAsync();
        try
        {
            await b.Admin.AddGrantAsync(TestGrants.For("laptop", "db", 5432, TimeSpan.FromMinutes(10)));
            Assert.Single((await WatchReader.NextAsync(onA, timeoutMs: 5_000)).Delta.PeersUpserted);
        }
        finally
        {
            await b.DisposeAsync();
        }

        a.Time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        var ended = await WatchReader.NextAsync(onA, timeoutMs: 5_000);
        Assert.Equal([laptop.Id], ended.Delta.PeersRemoved);
        Assert.Single((await a.Admin.ListAuditAsync(new ListAuditRequest())).Events, e => e.Kind == "grant.expired");
    }

    [Fact]
    public async Task AGrantBothReplicasSeeEnd_IsAuditedOnce()
    {
        await using var a = await StartFirstAsync();
        await using var b = await a.StartReplicaAsync();
        using var db = await a.EnrollAsync("db");
        using var laptop = await a.EnrollAsync("laptop");
        await a.Admin.AddGrantAsync(TestGrants.For("laptop", "db", 5432, TimeSpan.FromMinutes(10)));
        await Task.Delay(500);

        a.Time.Advance(TimeSpan.FromMinutes(11));
        await Task.Delay(1500);

        var events = (await b.Admin.ListAuditAsync(new ListAuditRequest())).Events;
        Assert.Single(events, e => e.Kind == "grant.expired");
        Assert.True((await b.Admin.VerifyAuditAsync(new VerifyAuditRequest())).Ok);
    }

    [Fact]
    public async Task Rotation_OfANodeOnA_FinishesWhenItsPeerOnBAcks()
    {
        await using var a = await StartFirstAsync();
        await using var b = await a.StartReplicaAsync();
        using var x = await a.EnrollAsync("x");
        using var p = await a.EnrollAsync("p");
        await a.Admin.AddGrantAsync(TestGrants.For("x", "p", 22, TimeSpan.FromHours(1)));
        await Task.Delay(300);
        using var xWatch = await x.WatchAsync();
        await WatchReader.NextAsync(xWatch);
        p.UseClient(b.NodeClient());
        using var pWatch = await p.WatchAsync();
        await WatchReader.NextAsync(pWatch);

        var newKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        await x.RotateAsync(newKey);
        Assert.Equal(newKey, (await WatchReader.NextAsync(xWatch)).Delta.Self.WireguardPublicKey.ToByteArray());
        var pDelta = await WatchReader.NextAsync(pWatch, timeoutMs: 5_000);
        Assert.Equal(newKey, Assert.Single(pDelta.Delta.PeersUpserted).WireguardPublicKey.ToByteArray());

        await p.AckAsync(pDelta.Serial);
        var ready = await WatchReader.NextAsync(xWatch, timeoutMs: 5_000);
        Assert.Equal(WatchEvent.EventOneofCase.RotationReady, ready.EventCase);
        Assert.Equal(newKey, ready.RotationReady.NewWireguardPublicKey.ToByteArray());

        // Both replicas then drop the old key from p's view; the finish is audited once.
        var dropped = await WatchReader.NextAsync(pWatch, timeoutMs: 5_000);
        Assert.True(Assert.Single(dropped.Delta.PeersUpserted).PreviousWireguardPublicKey.IsEmpty);
        Assert.Single((await a.Admin.ListAuditAsync(new ListAuditRequest())).Events, e => e.Kind == "key.rotation_finished");
    }

    [Fact]
    public async Task RotateRequest_ForAnOfflineNode_ThroughB_IsSentWhenItWatchesA_AndOnlyUntilItRotates()
    {
        await using var a = await StartFirstAsync();
        await using var b = await a.StartReplicaAsync();
        using var x = await a.EnrollAsync("x");
        await Task.Delay(300);
        await b.Admin.RotateKeysAsync(new RotateKeysRequest { Node = "x" });
        await Task.Delay(500);

        using (var first = await x.WatchAsync())
        {
            Assert.Equal(WatchEvent.EventOneofCase.Snapshot, (await WatchReader.NextAsync(first)).EventCase);
            Assert.Equal(WatchEvent.EventOneofCase.RotateNow, (await WatchReader.NextAsync(first)).EventCase);
            await x.RotateAsync(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        }

        await Task.Delay(500);
        x.UseClient(b.NodeClient());
        using var second = await x.WatchAsync();
        Assert.Equal(WatchEvent.EventOneofCase.Snapshot, (await WatchReader.NextAsync(second)).EventCase);
        var next = await WatchReader.NextAsync(second, timeoutMs: 1_000).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null);
        Assert.True(next is null || next.EventCase != WatchEvent.EventOneofCase.RotateNow, "the request was acted on; no replica may send it again");
    }

    [Fact]
    public async Task ResumeWithAnotherReplicasSerial_GetsASnapshot_NotItsOwnDeltas()
    {
        await using var a = await StartFirstAsync();
        await using var b = await a.StartReplicaAsync();
        using var db = await a.EnrollAsync("db");
        using var laptop = await a.EnrollAsync("laptop");
        await a.Admin.AddGrantAsync(TestGrants.For("laptop", "db", 5432, TimeSpan.FromMinutes(30)));
        await a.Admin.AddGrantAsync(TestGrants.For("laptop", "db", 22, TimeSpan.FromMinutes(30)));
        await Task.Delay(500);

        ulong serialOnA;
        using (var onA = await db.WatchAsync())
        {
            serialOnA = (await WatchReader.NextAsync(onA)).Serial;
        }

        db.UseClient(b.NodeClient());
        using var onB = await db.WatchAsync(resumeFrom: serialOnA);
        var first = await WatchReader.NextAsync(onB);
        Assert.Equal(WatchEvent.EventOneofCase.Snapshot, first.EventCase);
        Assert.NotEqual(serialOnA >> 32, first.Serial >> 32);
    }

    [Fact]
    public async Task FleetEnrollments_RacingThroughTwoReplicas_AllSucceed_WithDistinctNamesAndAddresses()
    {
        // Found by scripts/bench-coordinator.sh: each replica picks the next free node-N from what it knows,
        // so two racing enrollments pick the same name, and the loser answered AlreadyExists instead of picking again.
        const int Count = 40;
        await using var a = await StartFirstAsync();
        await using var b = await a.StartReplicaAsync();
        var (_, _, secret) = await a.CreateTokenAsync("", tags: ["ci"], uses: Count);
        var nodes = Enumerable.Range(0, Count).Select(_ => new TestNode(a)).ToList();
        try
        {
            foreach (var node in nodes.Where((_, i) => i % 2 == 1))
            {
                node.UseClient(b.NodeClient());
            }

            var enrolled = await Task.WhenAll(nodes.Select(n => n.EnrollAsync(secret, "")));
            Assert.Equal(Count, enrolled.Select(e => e.Name).Distinct().Count());
            Assert.Equal(Count, enrolled.Select(e => e.OverlayIpv4).Distinct().Count());
            Assert.All(enrolled, e => Assert.StartsWith("node-", e.Name, StringComparison.Ordinal));
            // A's enrollments reach B's model through the store's change feed, not at once.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            int onB;
            while ((onB = (await b.Admin.ListNodesAsync(new ListNodesRequest())).Nodes.Count) < Count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.Equal(Count, onB);
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }
        }
    }
}
