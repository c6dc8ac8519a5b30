using MeshPorts.Node.Routing;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Uapi;

/// <summary>
/// One "public_key=" section of a set request, fully validated. Fields left null were not mentioned
/// and must keep their current value.
/// </summary>
internal sealed class UapiPeerUpdate
{
    public UapiPeerUpdate(WgKey publicKey)
    {
        PublicKey = publicKey;
    }

    public WgKey PublicKey { get; }

    /// <summary>remove=true: drop the peer (if it exists); every other field of the section is ignored.</summary>
    public bool Remove { get; set; }

    /// <summary>update_only=true: if the peer does not exist yet, ignore the whole section instead of creating it.</summary>
    public bool UpdateOnly { get; set; }

    /// <summary>preshared_key: an all-zero key means "no preshared key".</summary>
    public WgKey? PresharedKey { get; set; }

    public PeerEndpoint? Endpoint { get; set; }

    /// <summary>persistent_keepalive_interval in seconds; 0 turns it off.</summary>
    public ushort? PersistentKeepaliveInterval { get; set; }

    /// <summary>
    /// replace_allowed_ips=true: remove all of the peer's allowed IPs before adding <see cref="AllowedIps"/>.
    /// allowed_ip lines that came before replace_allowed_ips in the request are already dropped from
    /// <see cref="AllowedIps"/>, so applying "clear, then add all" reproduces wireguard-go's order.
    /// </summary>
    public bool ReplaceAllowedIps { get; set; }

    /// <summary>Prefixes to add, in request order (an existing owner of the same prefix loses it).</summary>
    public List<IpPrefix> AllowedIps { get; } = [];
}
