using MeshPorts.Coordinator.Storage;
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
