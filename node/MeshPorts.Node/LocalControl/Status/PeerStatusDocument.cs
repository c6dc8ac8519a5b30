using MeshPorts.Node.Device;

namespace MeshPorts.Node.LocalControl.Status;

/// <param name="Endpoint">Direct: the peer's IP:PORT. Relay: the relay's endpoint (its UDP IP:PORT or URL). None: null.</param>
/// <param name="Path">"direct", "relay" (through a relay: docs/nat.md) or "none" (nowhere to send yet).</param>
/// <param name="RelayId">The relay's id when relayed, else null.</param>
/// <param name="Transport">"udp" or "tls" when relayed and the relay is reachable, else null.</param>
/// <param name="RelayedRxBytes">WireGuard bytes that came from the peer through a relay.</param>
/// <param name="RelayedTxBytes">WireGuard bytes that went to the peer through a relay.</param>
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
    string Path,
    string? RelayId = null,
    string? Transport = null,
    long RelayedRxBytes = 0,
    long RelayedTxBytes = 0)
{
    public static string PathOf(bool hasEndpoint) => hasEndpoint ? "direct" : "none";

    /// <summary>One peer of <c>status --json</c> from the device's view of it.</summary>
    public static PeerStatusDocument From(MeshPeerStatus peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return new PeerStatusDocument(
            peer.Name,
            peer.AllowedIps.Where(a => a.IsIPv4).Select(a => a.Address.ToString()).FirstOrDefault() ?? "",
            [.. peer.AllowedIps.Select(a => a.ToString())],
            peer.PublicKey.ToBase64(),
            peer.Path.Endpoint,
            peer.LatestHandshake,
            peer.ValidUntil,
            peer.RxBytes,
            peer.TxBytes,
            peer.Path.Path,
            peer.Path.RelayId,
            peer.Path.Transport,
            peer.RelayedRxBytes,
            peer.RelayedTxBytes);
    }
}
