using System.Diagnostics;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Hosting;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Tests.Support;
using MeshPorts.Tests.Shared;
using Xunit.Abstractions;

namespace MeshPorts.Coordinator.Tests.Stores;

/// <summary>The real coordinator, and replicas of it, on --store postgres: against the test's own PostgreSQL server.</summary>
public sealed class PostgresCoordinatorTests : IClassFixture<PostgresServer>
{
    private readonly PostgresServer _server;
    private readonly ITestOutputHelper _output;

    public PostgresCoordinatorTests(PostgresServer server, ITestOutputHelper output)
    {
        _server = server;
        _output = output;
    }

    private async Task<string> StoreAsync() => StoreSpec.PostgresPrefix + await _server.CreateDatabaseAsync();

    [Fact]
    public async Task EnrollGrantWatchAndVerify_OnPostgres_AndARestartKeepsEverything()
    {
        var store = await StoreAsync();
        var first = await TestCoordinator.StartAsync(o => o.Store = store);
        first.KeepDataDir = true;
        using var db = await first.EnrollAsync("db");
        using var laptop = await first.EnrollAsync("laptop");
        string grantId;
        await using (first)
        {
            using var watch = await db.WatchAsync();
            Assert.Empty((await WatchReader.NextAsync(watch)).Snapshot.Peers);

            grantId = (await first.Admin.AddGrantAsync(TestGrants.Hour("laptop", "db"))).Grant.Id;
            var delta = await WatchReader.NextAsync(watch, timeoutMs: 5_000);
            Assert.Equal(laptop.Id, Assert.Single(delta.Delta.PeersUpserted).NodeId);
            await db.AckAsync(delta.Serial);
            var verify = await first.Admin.VerifyAuditAsync(new VerifyAuditRequest());
            Assert.True(verify.Ok, verify.Problem);
            Assert.True(verify.Checked >= 5, $"only {verify.Checked} events checked");
        }

        // Nothing lived in the data dir's database: a coordinator started again on it finds the mesh in PostgreSQL.
        await using var again = await TestCoordinator.StartAsync(o => o.Store = store, first.DataDir);
        Assert.False(File.Exists(Path.Combine(first.DataDir, "coordinator.db")), "a SQLite file was written beside --store postgres:");
        Assert.Equal(["db", "laptop"], (await again.Admin.ListNodesAsync(new ListNodesRequest())).Nodes.Select(n => n.Name).Order());
        Assert.Equal(grantId, Assert.Single((await again.Admin.ListGrantsAsync(new ListGrantsRequest())).Grants).Id);
        db.UseClient(again.NodeClient());
        using var resumed = await db.WatchAsync();
        Assert.Equal(laptop.Id, Assert.Single((await WatchReader.NextAsync(resumed)).Snapshot.Peers).NodeId);
        var verified = await again.Admin.VerifyAuditAsync(new VerifyAuditRequest());
        Assert.True(verified.Ok, verified.Problem);
    }

    [Fact]
    public async Task GrantsThroughB_ReachANodeWatchingA_WithinASecond_ByNotify()
    {
        var store = await StoreAsync();
        await using var a = await TestCoordinator.StartAsync(o => o.Store = store);
        await using var b = await a.StartReplicaAsync();
        using var db = await a.EnrollAsync("db");
        var peers = new List<TestNode>();
        for (var i = 0; i < 5; i++)
        {
            peers.Add(await a.EnrollAsync($"p{i}"));
        }

        using var onA = await db.WatchAsync();
        Assert.Empty((await WatchReader.NextAsync(onA)).Snapshot.Peers);
        await Task.Delay(300);

        var figures = new List<double>();
        foreach (var peer in peers)
        {
            var watch = Stopwatch.StartNew();
            await b.Admin.AddGrantAsync(TestGrants.Hour(peer.Name, "db"));
            var delta = await WatchReader.NextAsync(onA, timeoutMs: 5_000);
            figures.Add(watch.Elapsed.TotalMilliseconds);
            Assert.Equal(peer.Id, Assert.Single(delta.Delta.PeersUpserted).NodeId);
        }

        _output.WriteLine($"grant through B -> delta on A (PostgreSQL NOTIFY): {string.Join(", ", figures.Select(f => f.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))} ms");
        Assert.All(figures, f => Assert.True(f < 1000, $"{f:0} ms from the grant on B to the delta on A; the bound is 1 s"));
        foreach (var peer in peers)
        {
            peer.Dispose();
        }
    }

    [Fact]
    public async Task Replicas_KeepFollowing_AfterTheDatabaseDropsEveryConnection()
    {
        var store = await StoreAsync();
        await using var a = await TestCoordinator.StartAsync(o => o.Store = store);
        await using var b = await a.StartReplicaAsync();
        using var db = await a.EnrollAsync("db");
        using var laptop = await a.EnrollAsync("laptop");
        using var onA = await db.WatchAsync();
        await WatchReader.NextAsync(onA);

        // What a database restart does to the clients: every backend, the LISTEN ones included, goes.
        var database = new Npgsql.NpgsqlConnectionStringBuilder(store[StoreSpec.PostgresPrefix.Length..]).Database!;
        await _server.TerminateConnectionsAsync(database);
        await Task.Delay(500);

        var added = await RetryAsync(() => b.Admin.AddGrantAsync(TestGrants.Hour("laptop", "db")).ResponseAsync);
        var delta = await WatchReader.NextAsync(onA, timeoutMs: 10_000);
        Assert.Equal(laptop.Id, Assert.Single(delta.Delta.PeersUpserted).NodeId);
        Assert.True((await a.Admin.VerifyAuditAsync(new VerifyAuditRequest())).Ok);
        Assert.NotNull(added.Grant);
    }

    [Fact]
    public async Task DatabaseRestart_UnderWrites_ReplicasReconnect_NodesStayServed_AndNothingIsLost()
    {
        var store = await StoreAsync();
        await using var a = await TestCoordinator.StartAsync(o => o.Store = store);
        await using var b = await a.StartReplicaAsync();
        using var db = await a.EnrollAsync("db");
        using var laptop = await a.EnrollAsync("laptop");
        using var onA = await db.WatchAsync();
        await WatchReader.NextAsync(onA);

        // Both nodes were enrolled through A; B learns of them from the change feed, a moment later. A grant
        // through B before then is refused as "no such node" (CI once saw exactly that under load).
        for (var i = 0; i < 100 && (await b.Admin.ListNodesAsync(new ListNodesRequest())).Nodes.Count < 2; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(2, (await b.Admin.ListNodesAsync(new ListNodesRequest())).Nodes.Count);

        // Writers through B keep going across the restart; a write that fails while the server is down is retried.
        using var stop = new CancellationTokenSource();
        var made = new List<string>();
        var writer = Task.Run(async () =>
        {
            var failures = 0;
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    made.Add((await b.Admin.AddGrantAsync(TestGrants.For("laptop", "db", (uint)(1000 + i), TimeSpan.FromMinutes(30)))).Grant.Id);
                }
                catch (Grpc.Core.RpcException ex)
                {
                    // Said as UNAVAILABLE (clients retry that), naming the database, not an opaque handler error.
                    Assert.True(ex.StatusCode == Grpc.Core.StatusCode.Unavailable, $"grant {i} failed as {ex.StatusCode}: {ex.Status.Detail}");
                    Assert.Contains("cannot reach its database", ex.Status.Detail, StringComparison.Ordinal);
                    failures++;
                    await Task.Delay(100);
                }
            }

            return failures;
        });
        await Task.Delay(500);
        await _server.RestartAsync(TimeSpan.FromSeconds(1));
        await Task.Delay(1500);
        await stop.CancelAsync();
        var failed = await writer;
        _output.WriteLine($"{made.Count} grants made through B across a database restart; {failed} calls failed while it was down");
        Assert.True(made.Count > 2, "too few writes to say anything");

        // A's memory caught up with every grant B committed (ListGrants answers from memory, B's from its own):
        // each grant B confirmed is there, and A and B agree. A call that failed as the server went away may
        // still have committed (the commit's answer was lost), so A may hold a grant B's client was not told of.
        var onB = await GrantIdsAsync(b);
        var onAGrants = new List<string>();
        for (var i = 0; i < 100 && !onAGrants.SequenceEqual(onB); i++)
        {
            await Task.Delay(100);
            onAGrants = await GrantIdsAsync(a);
        }

        Assert.Equal(onB, onAGrants);
        Assert.Empty(made.Except(onAGrants));
        _output.WriteLine($"{onAGrants.Count - made.Count} grant(s) committed by a call that reported a failure");

        // The node's stream to A never broke (fail-static): it still carries the next change made through B.
        // (A read that times out cancels the stream, so the events before that change are read through.)
        await b.Admin.AddGrantAsync(TestGrants.For("laptop", "db", 999, TimeSpan.FromMinutes(30)));
        var sawIt = false;
        for (var i = 0; i < 1000 && !sawIt; i++)
        {
            var e = await WatchReader.NextAsync(onA, timeoutMs: 10_000);
            sawIt = e.EventCase == WatchEvent.EventOneofCase.Delta && e.Delta.RulesAdded.Any(r => r.Port == 999);
        }

        Assert.True(sawIt, "the grant made after the restart never reached the node's stream to A");

        // Every stored grant has exactly its event, and the chain verifies.
        var stored = await GrantIdsAsync(a);
        var events = (await a.Admin.ListAuditAsync(new ListAuditRequest { Limit = 10_000 })).Events;
        Assert.Equal(stored, events.Where(e => e.Kind == "grant.added").Select(e => e.Subject).Order(StringComparer.Ordinal));
        var verify = await a.Admin.VerifyAuditAsync(new VerifyAuditRequest());
        Assert.True(verify.Ok, verify.Problem);
    }

    private static async Task<List<string>> GrantIdsAsync(TestCoordinator coordinator) =>
        (await coordinator.Admin.ListGrantsAsync(new ListGrantsRequest())).Grants.Select(g => g.Id).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task UnreachablePostgres_ExitsOne_NamingTheFix_WithoutThePassword()
    {
        var dir = Directory.CreateTempSubdirectory("mp-pg-bad-");
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var port = TestCoordinator.FreePort();

            var code = await CoordinatorProgram.RunAsync(
                ["--data", dir.FullName, "--listen", $"127.0.0.1:{port}", "--public-url", $"https://127.0.0.1:{port}",
                 "--store", $"postgres:Host={_server.Host};Database=no_such_db;Username=postgres;Password=hunter2"], output, error, _ => null);

            Assert.Equal(1, code);
            var text = error.ToString();
            Assert.Contains("cannot open PostgreSQL at Host=", text, StringComparison.Ordinal);
            Assert.Contains("no_such_db", text, StringComparison.Ordinal);
            Assert.Contains("createdb", text, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", output.ToString() + text, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Grpc.Core.RpcException) when (attempt < 5)
            {
                // A pooled connection the server dropped fails once; the pool then opens a new one.
                await Task.Delay(200);
            }
        }
    }
}
