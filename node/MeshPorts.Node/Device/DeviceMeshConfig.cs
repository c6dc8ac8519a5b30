using MeshPorts.Node.Filter;

namespace MeshPorts.Node.Device;

/// <summary>
/// Everything the coordinator decides for this node's data plane: the peers and the inbound rules.
/// <see cref="Device.ApplyMesh"/> makes it the device's whole state in one step.
/// </summary>
internal sealed record DeviceMeshConfig(IReadOnlyList<MeshPeerConfig> Peers, IReadOnlyList<FilterRule> Rules);
