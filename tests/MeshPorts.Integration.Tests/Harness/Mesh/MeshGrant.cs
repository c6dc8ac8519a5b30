namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>`meshctl grant add --json` (docs/meshctl.md).</summary>
internal sealed record MeshGrant(string Id, string From, string To, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, bool Revoked, bool Active);
