namespace MeshPorts.Integration.Tests.Tests.Mesh;

/// <summary>Two replicas sharing one SQLite file on one host.</summary>
[Collection(NetNsCollection.Name)]
public sealed class SqliteReplicaFailoverTests : ReplicaFailoverTests
{
    protected override Task<string?> StoreAsync() => Task.FromResult<string?>(null);
}
