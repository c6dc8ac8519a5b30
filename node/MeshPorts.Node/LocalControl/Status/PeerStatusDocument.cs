namespace MeshPorts.Node.LocalControl.Status;

/// <param name="Path">
/// "direct" when the peer has an underlay endpoint to send to, "none" when it has none (PRODUCT.md also
/// names "relay", which comes with the relay client: docs/nat.md).
/// </param>
internal sealed record PeerStatusDocument(
    string Name,
    string OverlayIp,
    IReadOnlyList<string> AllowedIps,
    string PublicKey,
    string? Endpoint,
    DateTimeOffset? LatestHandshake,
    DateTimeOffset ValidUntil,
    long RxBytes,
    long TxBytes,
    string Path)
{
    public static string PathOf(bool hasEndpoint) => hasEndpoint ? "direct" : "none";
}
