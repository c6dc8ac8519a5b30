using Xunit.Abstractions;

namespace MeshPorts.Coordinator.Tests.Stores;

/// <summary>Replicas sharing one SQLite file (one host).</summary>
public sealed class SqliteReplicaTests : ReplicaTests
{
    public SqliteReplicaTests(ITestOutputHelper output)
        : base(output)
    {
    }

    protected override Task<string?> StoreAsync() => Task.FromResult<string?>(null);
}
