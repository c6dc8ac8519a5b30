namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>One element of `peers` in `status --json`.</summary>
internal sealed record NodePeerStatus(
    string Name,
    string OverlayIp,
    string PublicKey,
    string? Endpoint,
    DateTimeOffset? LatestHandshake,
    DateTimeOffset ValidUntil,
    long RxBytes,
    long TxBytes,
    string? Path);
