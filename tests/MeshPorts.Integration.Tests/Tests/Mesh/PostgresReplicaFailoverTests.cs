using MeshPorts.Tests.Shared;

namespace MeshPorts.Integration.Tests.Tests.Mesh;

/// <summary>Two replicas on one PostgreSQL database (a real server of the test's own, on a unix socket).</summary>
[Collection(NetNsCollection.Name)]
public sealed class PostgresReplicaFailoverTests : ReplicaFailoverTests, IClassFixture<PostgresServer>
{
    private readonly PostgresServer _server;

    public PostgresReplicaFailoverTests(PostgresServer server)
    {
        _server = server;
    }

    protected override async Task<string?> StoreAsync() => "postgres:" + await _server.CreateDatabaseAsync();
}
