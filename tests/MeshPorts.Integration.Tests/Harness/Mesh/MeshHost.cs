namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>One host of a <see cref="MeshNetwork"/>: its namespace and its address on the shared LAN.</summary>
internal sealed record MeshHost(string Role, NetNs Namespace, string Underlay);
