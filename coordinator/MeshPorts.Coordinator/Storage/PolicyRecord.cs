namespace MeshPorts.Coordinator.Storage;

/// <summary>An applied policy file; the newest one is live.</summary>
internal sealed record PolicyRecord(string Text, string Sha256, long AppliedAt);
