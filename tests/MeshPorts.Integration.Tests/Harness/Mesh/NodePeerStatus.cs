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
    string? Path,
    string? RelayId = null,
    string? Transport = null,
    long RelayedRxBytes = 0,
    long RelayedTxBytes = 0,
    double? RttMs = null);
