using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Tests.Support;
using MeshPorts.Tests.Shared;
using Xunit.Abstractions;

namespace MeshPorts.Coordinator.Tests.Stores;

/// <summary>Replicas on one PostgreSQL database, following each other by LISTEN/NOTIFY.</summary>
public sealed class PostgresReplicaTests : ReplicaTests, IClassFixture<PostgresServer>
{
    private readonly PostgresServer _server;

    public PostgresReplicaTests(PostgresServer server, ITestOutputHelper output)
        : base(output)
    {
        _server = server;
    }

    protected override async Task<string?> StoreAsync() => StoreSpec.PostgresPrefix + await _server.CreateDatabaseAsync();
}
