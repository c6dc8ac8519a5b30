namespace MeshPorts.Coordinator.Tests.Stores;

/// <summary>kill -9 of a coordinator on SQLite.</summary>
public sealed class SqliteCrashTests : CrashTests
{
    protected override Task<string?> StoreAsync() => Task.FromResult<string?>(null);
}
