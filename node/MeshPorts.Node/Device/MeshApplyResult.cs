namespace MeshPorts.Node.Device;

/// <summary>What one <see cref="Device.ApplyMesh"/> changed.</summary>
internal readonly record struct MeshApplyResult(int Added, int Rekeyed, int Removed, int FlowsCut);
