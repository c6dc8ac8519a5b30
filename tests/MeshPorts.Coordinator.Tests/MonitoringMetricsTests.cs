using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Storage.Sqlite;
using MeshPorts.Coordinator.Tests.Support;
using Microsoft.Data.Sqlite;

namespace MeshPorts.Coordinator.Tests;

/// <summary>The /metrics the alert rules in packaging/prometheus read: each must move when what it stands for does.</summary>
public sealed class MonitoringMetricsTests
{
    private const string Lag = "meshports_netmap_oldest_unacked_seconds";
    private const string ChainOk = "meshports_audit_chain_ok";
    private const string VerifiedSeq = "meshports_audit_chain_verified_seq";

    private static string Watching(string node) => $"meshports_node_watching{{node=\"{node}\"}}";

    [Fact]
    public async Task NodeWatching_IsOneWhileTheNodeHasAStream_AndZeroOnceItEnds()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        Assert.Equal(2, await MetricsReader.ReadAsync(c, "meshports_nodes_enrolled"));
        Assert.Equal(0, await MetricsReader.ReadDoubleAsync(c, Watching("a")));
        Assert.Equal(0, await MetricsReader.ReadAsync(c, "meshports_nodes_watching"));

        using (var watch = await a.WatchAsync())
        {
            Assert.Equal(WatchEvent.EventOneofCase.Snapshot, (await WatchReader.NextAsync(watch)).EventCase);
            Assert.Equal(1, await MetricsReader.ReadDoubleAsync(c, Watching("a")));
            Assert.Equal(0, await MetricsReader.ReadDoubleAsync(c, Watching("b")));
            Assert.Equal(1, await MetricsReader.ReadAsync(c, "meshports_nodes_watching"));
        }

        // The node went away (its stream was cancelled): the coordinator notices and says so.
        await MetricsReader.WaitForAsync(c, Watching("a"), v => v == 0);
        Assert.Equal(0, await MetricsReader.ReadAsync(c, "meshports_nodes_watching"));
        Assert.Equal(2, await MetricsReader.ReadAsync(c, "meshports_nodes_enrolled"));
    }

    [Fact]
    public async Task ApplyLag_RisesWhileAWatchingNodeDoesNotAck_AndIsZeroOnceItDoes()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        ulong serial;
        using (var watch = await b.WatchAsync())
        {
            serial = (await WatchReader.NextAsync(watch)).Serial;
            await b.AckAsync(serial);
            c.Time.Advance(TimeSpan.FromSeconds(5));
            Assert.Equal(0, await MetricsReader.ReadDoubleAsync(c, Lag));

            await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
            var delta = await WatchReader.NextAsync(watch);
            Assert.Equal(WatchEvent.EventOneofCase.Delta, delta.EventCase);
            c.Time.Advance(TimeSpan.FromSeconds(45));
            Assert.Equal(45, await MetricsReader.ReadDoubleAsync(c, Lag), precision: 3);
            c.Time.Advance(TimeSpan.FromSeconds(10));
            Assert.Equal(55, await MetricsReader.ReadDoubleAsync(c, Lag), precision: 3);

            await b.AckAsync(delta.Serial);
            Assert.Equal(0, await MetricsReader.ReadDoubleAsync(c, Lag));
            serial = delta.Serial;
        }

        // A node that is not watching is the offline alert's business, not lag: nothing counts while it is away ...
        await MetricsReader.WaitForAsync(c, Watching("b"), v => v == 0);
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b", 22));
        c.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, await MetricsReader.ReadDoubleAsync(c, Lag));

        // ... and once it is back, the change waits on it from the moment its stream opened.
        using var again = await b.WatchAsync(serial);
        var missed = await WatchReader.NextAsync(again);
        Assert.Equal(WatchEvent.EventOneofCase.Delta, missed.EventCase);
        c.Time.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(7, await MetricsReader.ReadDoubleAsync(c, Lag), precision: 3);
        await b.AckAsync(missed.Serial);
        Assert.Equal(0, await MetricsReader.ReadDoubleAsync(c, Lag));
    }

    [Fact]
    public async Task ChainOk_GoesToZeroWhenAVerifiedEventIsRewrittenWithARecomputedHash()
    {
        await using var c = await TestCoordinator.StartAsync();
        var last = await WithEventsVerifiedAsync(c, 4);

        // A careful attacker: the hash fits the edited row, and the coordinator chains its next event on it,
        // so the stored chain walks clean. Only the hash verified before gives it away.
        var edited = last with { Actor = "mallory" };
        await UpdateRowAsync(c, edited with { Hash = AuditChain.ComputeHash(edited.PrevHash, edited) });
        await c.CreateTokenAsync("after");

        await MetricsReader.WaitForAsync(c, ChainOk, v => v == 0);
        Assert.Equal(last.Seq - 1, await MetricsReader.ReadAsync(c, VerifiedSeq));
        Assert.True((await c.Host.Audit.VerifyAsync()).Ok, "the point of the test: a full walk alone finds nothing");

        // It stays broken: later events and full walks cannot vouch for a chain that changed under us.
        c.Time.Advance(AuditChainMonitor.DefaultFullInterval + TimeSpan.FromSeconds(1));
        await c.CreateTokenAsync("later");
        await Task.Delay(1500);
        Assert.Equal(0, await MetricsReader.ReadAsync(c, ChainOk));
    }

    [Fact]
    public async Task ChainOk_GoesToZeroAtTheNextFullWalkWhenAnOldEventIsEdited_AndBackToOneWhenRestored()
    {
        await using var c = await TestCoordinator.StartAsync();
        var last = await WithEventsVerifiedAsync(c, 4);
        var second = (await c.Host.Store.Audit.ListAsync(1, 0, 1, CancellationToken.None)).Single();
        Assert.Equal(2, second.Seq);

        await UpdateRowAsync(c, second with { Actor = "mallory" });
        await c.CreateTokenAsync("after");
        await MetricsReader.WaitForAsync(c, VerifiedSeq, v => v == last.Seq + 1);
        Assert.Equal(1, await MetricsReader.ReadAsync(c, ChainOk));

        c.Time.Advance(AuditChainMonitor.DefaultFullInterval);
        await MetricsReader.WaitForAsync(c, ChainOk, v => v == 0);
        Assert.Equal(1, await MetricsReader.ReadAsync(c, VerifiedSeq));

        await UpdateRowAsync(c, second);
        c.Time.Advance(AuditChainMonitor.DefaultFullInterval);
        await MetricsReader.WaitForAsync(c, ChainOk, v => v == 1);
        Assert.Equal(last.Seq + 1, await MetricsReader.ReadAsync(c, VerifiedSeq));
    }

    [Fact]
    public async Task ChainOk_IsZeroAfterARestartOnATruncatedLog()
    {
        var dir = Path.Combine(Path.GetTempPath(), "mp-coord-test-" + Guid.NewGuid().ToString("N"));
        long lastSeq;
        await using (var first = await TestCoordinator.StartAsync(dataDir: dir))
        {
            first.KeepDataDir = true;
            lastSeq = (await WithEventsVerifiedAsync(first, 3)).Seq;
        }

        await using (var connection = new SqliteConnection("Data Source=" + Path.Combine(dir, "coordinator.db")))
        {
            await connection.OpenAsync();
            await using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM audit WHERE seq = $s;";
            delete.Parameters.AddWithValue("$s", lastSeq);
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }

        // The head mismatch is recorded and the head re-signed over the shorter chain, which then walks clean:
        // the metric must still say what was found at start.
        await using var c = await TestCoordinator.StartAsync(dataDir: dir);
        Assert.Equal(0, await MetricsReader.ReadAsync(c, ChainOk));
        await Task.Delay(1500);
        Assert.Equal(0, await MetricsReader.ReadAsync(c, ChainOk));
    }

    [Fact]
    public void LabelValues_AreEscaped()
    {
        Assert.Equal("a\\\\b\\\"c\\n", Metrics.CoordinatorMetrics.LabelValue("a\\b\"c\n"));
    }

    /// <summary>Appends <paramref name="tokens"/> events and waits until the monitor verified them all; returns the last.</summary>
    private static async Task<AuditRecord> WithEventsVerifiedAsync(TestCoordinator c, int tokens)
    {
        for (var i = 0; i < tokens; i++)
        {
            await c.CreateTokenAsync("t" + i);
        }

        var last = (await c.Host.Store.Audit.GetLastAsync(CancellationToken.None))!;
        await MetricsReader.WaitForAsync(c, VerifiedSeq, v => v == last.Seq);
        Assert.Equal(1, await MetricsReader.ReadAsync(c, ChainOk));
        return last;
    }

    private static async Task UpdateRowAsync(TestCoordinator c, AuditRecord r)
    {
        await using var connection = new SqliteConnection("Data Source=" + ((SqliteStore)c.Host.Store).Path);
        await connection.OpenAsync();
        await using var update = connection.CreateCommand();
        update.CommandText = "UPDATE audit SET actor = $a, hash = $h WHERE seq = $s;";
        update.Parameters.AddWithValue("$a", r.Actor);
        update.Parameters.AddWithValue("$h", r.Hash);
        update.Parameters.AddWithValue("$s", r.Seq);
        Assert.Equal(1, await update.ExecuteNonQueryAsync());
    }
}
