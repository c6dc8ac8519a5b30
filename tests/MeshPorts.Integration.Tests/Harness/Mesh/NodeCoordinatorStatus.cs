namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>The `coordinator` object of `status --json`.</summary>
internal sealed record NodeCoordinatorStatus(string Url, bool Connected, long Serial);
