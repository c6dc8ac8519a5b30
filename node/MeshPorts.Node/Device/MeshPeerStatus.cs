using MeshPorts.Node.Paths;
using MeshPorts.Node.Routing;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Device;

/// <summary>A live mesh peer, for <c>meshports-node status</c>.</summary>
/// <param name="Endpoint">The endpoint the engine sends to: a real address, a virtual relay one (100::/64), or unset.</param>
/// <param name="Path">How the peer is reached now (direct, relay or none; the relay's id, endpoint and transport); RoundTrip is the path manager's, null here.</param>
/// <param name="RelayedRxBytes">WireGuard bytes the relay delivered from the peer.</param>
/// <param name="RelayedTxBytes">WireGuard bytes handed to the relay for the peer.</param>
/// <param name="Handshakes">Handshakes completed with the peer since it was added.</param>
internal sealed record MeshPeerStatus(
    string NodeId,
    string Name,
    WgKey PublicKey,
    IReadOnlyList<IpPrefix> AllowedIps,
    PeerEndpoint Endpoint,
    DateTimeOffset? LatestHandshake,
    DateTimeOffset ValidUntil,
    long RxBytes,
    long TxBytes,
    PeerPathStatus Path,
    long RelayedRxBytes,
    long RelayedTxBytes,
    long Handshakes = 0);
