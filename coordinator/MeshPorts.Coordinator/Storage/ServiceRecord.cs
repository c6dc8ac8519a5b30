using MeshPorts.Contracts.Grammar;

namespace MeshPorts.Coordinator.Storage;

/// <summary>A port a node exposes on its overlay address.</summary>
internal sealed record ServiceRecord(int Port, PortProtocol Protocol, string Name);
