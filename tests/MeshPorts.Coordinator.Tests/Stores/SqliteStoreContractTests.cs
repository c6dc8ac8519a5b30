using MeshPorts.Coordinator.Storage;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace MeshPorts.Coordinator.Tests.Stores;

/// <summary>The store contract on SQLite: a fresh file per test.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    public SqliteStoreContractTests(ITestOutputHelper output)
        : base(output)
    {
    }

    protected override Task<string> NewDatabaseAsync() =>
        Task.FromResult(StoreSpec.SqlitePrefix + Path.Combine(Path.GetTempPath(), "mp-store-" + Guid.NewGuid().ToString("N") + ".db"));

    protected override async Task<IReadOnlyList<string>> ReadTextAsync(string spec, string sql)
    {
        await using var connection = new SqliteConnection("Data Source=" + spec[StoreSpec.SqlitePrefix.Length..]);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // the tests' own constant SQL
        command.CommandText = sql;
#pragma warning restore CA2100
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    protected override Task DeleteDatabaseAsync(string spec)
    {
        SqliteConnection.ClearAllPools();
        var path = spec[StoreSpec.SqlitePrefix.Length..];
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(path + suffix);
        }

        return Task.CompletedTask;
    }
}
