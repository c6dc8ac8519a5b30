namespace MeshPorts.Coordinator.Storage;

/// <summary>A port a node exposes on its overlay address. Protocol is "tcp" or "udp".</summary>
internal sealed record ServiceRecord(int Port, string Protocol, string Name);
