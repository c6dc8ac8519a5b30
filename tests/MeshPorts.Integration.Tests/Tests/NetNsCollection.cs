namespace MeshPorts.Integration.Tests.Tests;

/// <summary>
/// Every namespace test is in this one collection, so they run one after another: two cores are
/// shared with the build, and timing-sensitive checks (rekey, loss) must not compete with each other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NetNsCollection
{
    public const string Name = "network namespaces";
}
