using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Tests.Support;
using MeshPorts.Tests.Shared;

namespace MeshPorts.Coordinator.Tests.Stores;

/// <summary>kill -9 of a coordinator on PostgreSQL: the server rolls back what was not committed.</summary>
public sealed class PostgresCrashTests : CrashTests, IClassFixture<PostgresServer>
{
    private readonly PostgresServer _server;

    public PostgresCrashTests(PostgresServer server)
    {
        _server = server;
    }

    protected override async Task<string?> StoreAsync() => StoreSpec.PostgresPrefix + await _server.CreateDatabaseAsync();
}
