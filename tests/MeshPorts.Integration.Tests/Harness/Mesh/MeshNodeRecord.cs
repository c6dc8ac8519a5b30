namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>One element of `meshctl nodes list --json` (docs/meshctl.md), the fields the tests read.</summary>
internal sealed record MeshNodeRecord(string Name, string Id, string OverlayIp, string PublicKey, bool Online, long AppliedSerial, long LatestSerial);
