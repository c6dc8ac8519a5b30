using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Storage.Postgres;
using MeshPorts.Coordinator.Tests.Support;
using MeshPorts.Tests.Shared;
using Npgsql;
using Xunit.Abstractions;

namespace MeshPorts.Coordinator.Tests.Stores;

/// <summary>The store contract on a real PostgreSQL server this class starts: a fresh database per test.</summary>
public sealed class PostgresStoreContractTests : StoreContractTests, IClassFixture<PostgresServer>
{
    private readonly PostgresServer _server;

    public PostgresStoreContractTests(PostgresServer server, ITestOutputHelper output)
        : base(output)
    {
        _server = server;
    }

    protected override async Task<string> NewDatabaseAsync() => StoreSpec.PostgresPrefix + await _server.CreateDatabaseAsync();

    [Theory]
    [InlineData("9223372036854775807")]
    [InlineData("41")]
    [InlineData("not a number")]
    [InlineData("")]
    public async Task ForgedNotifications_WakeTheFeed_ButNeverNameASerial(string payload)
    {
        // NOTIFY needs no privilege: any role that can connect can send one on the change channel, with any payload.
        var store = await OpenAsync();
        var feed = (PostgresChangeFeed)store.Changes;
        Assert.Equal(0, await feed.WaitAsync(0, TimeSpan.FromMilliseconds(100), CancellationToken.None)); // now listening
        await using var attacker = new NpgsqlConnection(Spec[StoreSpec.PostgresPrefix.Length..]);
        await attacker.OpenAsync();

        var waiting = feed.WaitAsync(0, TimeSpan.FromMilliseconds(600), CancellationToken.None);
        for (var i = 0; i < 50; i++)
        {
            await using var notify = new NpgsqlCommand($"SELECT pg_notify('{PostgresDatabase.ChangeChannel}', @payload);", attacker);
            notify.Parameters.AddWithValue("payload", payload);
            await notify.ExecuteNonQueryAsync();
        }

        Assert.Equal(0, await waiting);
        // The feed heard them (so this was not just a timeout), and paced them: at most one look per pause.
        var falseWakes = feed.FalseWakes;
        Output.WriteLine($"50 forged notifications in 600 ms: {falseWakes} false wakes");
        Assert.InRange(falseWakes, 1, (long)(600 / PostgresChangeFeed.FalseWakePause.TotalMilliseconds) + 1);

        // A real commit still wakes a waiter at once, with the serial from the table.
        using var log = TestAudit.Over(store.Audit);
        var genuine = feed.WaitAsync(0, TimeSpan.FromSeconds(10), CancellationToken.None);
        var committed = System.Diagnostics.Stopwatch.StartNew();
        await store.Grants.InsertAsync(Grant("g1"), log.Event("grant.added", "admin", "g1", "ok", null), CancellationToken.None);
        Assert.Equal(1, await genuine);
        Assert.True(committed.Elapsed < TimeSpan.FromSeconds(5), $"woke {committed.Elapsed} after the commit");
        Assert.Equal(1, await feed.WaitAsync(1, TimeSpan.FromMilliseconds(200), CancellationToken.None));
    }

    protected override async Task<IReadOnlyList<string>> ReadTextAsync(string spec, string sql)
    {
        await using var connection = new NpgsqlConnection(spec[StoreSpec.PostgresPrefix.Length..]);
        await connection.OpenAsync();
#pragma warning disable CA2100 // the tests' own constant SQL
        await using var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
