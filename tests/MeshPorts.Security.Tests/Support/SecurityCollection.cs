namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// Every attack runs in this one collection, one after another: they start real processes and some of
/// them flood, which must not disturb another test's timing on a 2-core machine.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SecurityCollection
{
    public const string Name = "attacks on real processes";
}
