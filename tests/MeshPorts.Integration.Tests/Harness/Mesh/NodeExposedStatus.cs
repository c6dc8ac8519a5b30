namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>One element of `exposed` in `status --json`.</summary>
internal sealed record NodeExposedStatus(int Port, string Protocol, bool Listening);
