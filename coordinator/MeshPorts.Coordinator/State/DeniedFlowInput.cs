namespace MeshPorts.Coordinator.State;

/// <summary>One aggregated denied flow reported by a node.</summary>
internal sealed record DeniedFlowInput(string SourceAddress, string DestinationAddress, int Port, string Protocol, long Count);
