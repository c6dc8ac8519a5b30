using MeshPorts.Node.Routing;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Device;

/// <summary>A live mesh peer, for <c>meshports-node status</c>.</summary>
internal sealed record MeshPeerStatus(
    string NodeId,
    string Name,
    WgKey PublicKey,
    IReadOnlyList<IpPrefix> AllowedIps,
    PeerEndpoint Endpoint,
    DateTimeOffset? LatestHandshake,
    DateTimeOffset ValidUntil,
    long RxBytes,
    long TxBytes);
