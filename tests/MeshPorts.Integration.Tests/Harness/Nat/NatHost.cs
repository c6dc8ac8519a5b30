using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Harness.Nat;

/// <summary>A host on a <see cref="NatSite"/>'s LAN: its own namespace, a private address, the router as default gateway.</summary>
internal sealed record NatHost(string Name, NetNs Namespace, string LanAddress, NatSite Site)
{
    /// <summary>
    /// This host as the mesh harness sees one: <see cref="MeshHost.Underlay"/> is what <see cref="MeshNode"/>
    /// passes as `--endpoint ADDRESS:51820`, so give the router's public address when a port forward makes it true.
    /// </summary>
    public MeshHost AsMeshHost(string advertisedAddress) => new(Name, Namespace, advertisedAddress);
}
