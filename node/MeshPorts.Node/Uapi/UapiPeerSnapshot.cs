using MeshPorts.Node.Routing;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Uapi;

/// <summary>One peer as a "get=1" reply reports it.</summary>
internal sealed class UapiPeerSnapshot
{
    public required WgKey PublicKey { get; init; }

    /// <summary>All-zero (default) when the peer has no preshared key; written either way, as wireguard-go does.</summary>
    public WgKey PresharedKey { get; init; }

    /// <summary>default (<see cref="PeerEndpoint.IsSet"/> false) when unknown: no endpoint line is written.</summary>
    public PeerEndpoint Endpoint { get; init; }

    /// <summary>Wall-clock time of the last completed handshake; null when there was none (written as 0/0).</summary>
    public DateTimeOffset? LastHandshake { get; init; }

    public ulong TxBytes { get; init; }

    public ulong RxBytes { get; init; }

    public ushort PersistentKeepaliveInterval { get; init; }

    public IReadOnlyList<IpPrefix> AllowedIps { get; init; } = [];
}
