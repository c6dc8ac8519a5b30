namespace MeshPorts.Coordinator.State.Access;

/// <summary>One aggregated denied flow as a node reported it: unchecked until <see cref="DeniedFlowCheck"/> says otherwise.</summary>
internal sealed record DeniedFlowInput(string SourceAddress, string DestinationAddress, long Port, string Protocol, long Count);
