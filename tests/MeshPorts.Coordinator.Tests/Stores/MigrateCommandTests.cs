using MeshPorts.Contracts.Admin;
using MeshPorts.Coordinator.Hosting;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Tests.Support;
using MeshPorts.Tests.Shared;
using Xunit.Abstractions;

namespace MeshPorts.Coordinator.Tests.Stores;

/// <summary>meshports-coordinator migrate: a SQLite mesh moves to PostgreSQL and keeps working without re-enrolling a node.</summary>
public sealed class MigrateCommandTests : IClassFixture<PostgresServer>
{
    private readonly PostgresServer _server;
    private readonly ITestOutputHelper _output;

    public MigrateCommandTests(PostgresServer server, ITestOutputHelper output)
    {
        _server = server;
        _output = output;
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CoordinatorProgram.RunAsync(args, output, error, _ => null);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Migrate_FromSqlite_KeepsNodesGrantsAndTheChain_AndNodesWatchTheNewStoreWithTheirKeys()
    {
        var first = await TestCoordinator.StartAsync();
        first.KeepDataDir = true;
        using var db = await first.EnrollAsync("db", tags: ["db"]);
        using var laptop = await first.EnrollAsync("laptop", user: "alice@example.com");
        string grantId;
        long events;
        await using (first)
        {
            grantId = (await first.Admin.AddGrantAsync(TestGrants.Hour("laptop", "db"))).Grant.Id;
            await first.Admin.ApplyPolicyAsync(new PolicyRequest { Text = "rule dns: user:alice@example.com -> tag:db:53/udp\n" });
            await first.CreateTokenAsync(uses: 3);
            using var watch = await db.WatchAsync();
            await db.AckAsync((await WatchReader.NextAsync(watch)).Serial);
            await Task.Delay(200);
            events = (await first.Admin.ListAuditAsync(new ListAuditRequest { Limit = 10_000 })).Events.Count;
        }

        var to = StoreSpec.PostgresPrefix + await _server.CreateDatabaseAsync();
        var from = StoreSpec.SqlitePrefix + Path.Combine(first.DataDir, "coordinator.db");
        var run = await RunAsync("migrate", "--from", from, "--to", to);
        _output.WriteLine(run.Out + run.Err);

        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("nodes 2", run.Out, StringComparison.Ordinal);
        Assert.Contains("grants 1", run.Out, StringComparison.Ordinal);
        Assert.Contains("tokens 3", run.Out, StringComparison.Ordinal);
        Assert.Contains($"audit {events}", run.Out, StringComparison.Ordinal);
        Assert.Contains($"audit chain verified on the target: {events} events", run.Out, StringComparison.Ordinal);

        await using var moved = await TestCoordinator.StartAsync(o => o.Store = to, first.DataDir);
        Assert.Equal(["db", "laptop"], (await moved.Admin.ListNodesAsync(new ListNodesRequest())).Nodes.Select(n => n.Name).Order());
        Assert.Equal(grantId, Assert.Single((await moved.Admin.ListGrantsAsync(new ListGrantsRequest())).Grants).Id);
        Assert.Contains("rule dns", (await moved.Admin.ShowPolicyAsync(new ShowPolicyRequest())).Text, StringComparison.Ordinal);
        var verify = await moved.Admin.VerifyAuditAsync(new VerifyAuditRequest());
        Assert.True(verify.Ok, verify.Problem);
        Assert.True((long)verify.Checked >= events, $"{verify.Checked} events verified, {events} were migrated");

        // The node signs with the machine key it enrolled with on SQLite; the coordinator on PostgreSQL knows it.
        db.UseClient(moved.NodeClient());
        using var resumed = await db.WatchAsync();
        var snapshot = (await WatchReader.NextAsync(resumed)).Snapshot;
        Assert.Equal(laptop.Id, Assert.Single(snapshot.Peers).NodeId);
        laptop.UseClient(moved.NodeClient());
        using var laptopWatch = await laptop.WatchAsync();
        Assert.Equal(db.Id, Assert.Single((await WatchReader.NextAsync(laptopWatch)).Snapshot.Peers).NodeId);

        // A second run finds the target full and says what to do.
        var again = await RunAsync("migrate", "--from", from, "--to", to);
        Assert.Equal(1, again.Code);
        Assert.Contains("the target database is not empty", again.Err, StringComparison.Ordinal);
        Assert.Contains("createdb", again.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "migrate", "--from", "sqlite:/nonexistent/coordinator.db", "--to", "postgres:Host=/tmp;Database=x" }, "no such file")]
    [InlineData(new[] { "migrate", "--to", "postgres:Host=/tmp;Database=x" }, "needs --from sqlite:PATH and --to postgres:CONNSTRING")]
    [InlineData(new[] { "migrate", "--from", "postgres:Host=/tmp;Database=x", "--to", "postgres:Host=/tmp;Database=y" }, "--from must be sqlite:PATH")]
    public async Task Migrate_WithBadArguments_ExitsTwo_NamingTheFix(string[] args, string expected)
    {
        var run = await RunAsync(args);

        Assert.Equal(2, run.Code);
        Assert.Contains(expected, run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_ToANonPostgresTarget_OrWithoutTheAuditKey_ExitsTwo()
    {
        var dir = Directory.CreateTempSubdirectory("mp-migrate-args-");
        try
        {
            var path = Path.Combine(dir.FullName, "coordinator.db");
            await File.WriteAllBytesAsync(path, []);

            var sqliteTarget = await RunAsync("migrate", "--from", "sqlite:" + path, "--to", "sqlite:/tmp/x.db");
            var noKey = await RunAsync("migrate", "--from", "sqlite:" + path, "--to", "postgres:Host=/tmp;Database=x");

            Assert.Equal((2, 2), (sqliteTarget.Code, noKey.Code));
            Assert.Contains("--to must be postgres:CONNSTRING", sqliteTarget.Err, StringComparison.Ordinal);
            Assert.Contains("no audit-signing.key in", noKey.Err, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
