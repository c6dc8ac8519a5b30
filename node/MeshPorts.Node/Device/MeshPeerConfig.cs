using MeshPorts.Node.Routing;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Device;

/// <summary>One peer of the mesh as the coordinator describes it, ready for the device.</summary>
/// <param name="NodeId">The coordinator's stable id of the peer; survives key rotation.</param>
/// <param name="Name">The peer's node name, for status and logs.</param>
/// <param name="PublicKey">The peer's current WireGuard key.</param>
/// <param name="AllowedIps">The peer's overlay addresses: what it may send from and what routes to it.</param>
/// <param name="Endpoints">Underlay candidates; the first is used until the peer roams.</param>
/// <param name="ValidUntil">When the peer must be gone from this node, whether or not the coordinator says so again.</param>
internal sealed record MeshPeerConfig(
    string NodeId,
    string Name,
    WgKey PublicKey,
    IReadOnlyList<IpPrefix> AllowedIps,
    IReadOnlyList<PeerEndpoint> Endpoints,
    DateTimeOffset ValidUntil);
