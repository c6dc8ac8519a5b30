namespace MeshPorts.Coordinator.State.Policy;

/// <summary>A problem in a policy file; Line is 1-based, 0 for the whole file.</summary>
internal sealed record PolicyError(int Line, string Message);
