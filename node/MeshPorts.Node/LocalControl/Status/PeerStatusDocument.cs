namespace MeshPorts.Node.LocalControl.Status;

internal sealed record PeerStatusDocument(
    string Name,
    string OverlayIp,
    IReadOnlyList<string> AllowedIps,
    string PublicKey,
    string? Endpoint,
    DateTimeOffset? LatestHandshake,
    DateTimeOffset ValidUntil,
    long RxBytes,
    long TxBytes);
