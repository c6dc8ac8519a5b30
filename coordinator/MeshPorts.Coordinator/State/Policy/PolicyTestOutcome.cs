namespace MeshPorts.Coordinator.State.Policy;

/// <summary>How one policy test went.</summary>
internal sealed record PolicyTestOutcome(PolicyTest Test, bool Passed, string Detail);
