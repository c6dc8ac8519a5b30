using System.Net;
using MeshPorts.Node.Routing;
using MeshPorts.Node.StateDirectory;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Daemon;

/// <summary>Who this node is in the mesh, as enrollment (or the state dir) established it.</summary>
internal sealed record NodeIdentity
{
    public required string Name { get; init; }

    public required Uri CoordinatorUrl { get; init; }

    public required IPAddress OverlayIpv4 { get; init; }

    public IPAddress? OverlayIpv6 { get; init; }

    /// <summary>The overlay prefixes routed into the tunnel (100.64.0.0/10 and the ULA /48 by default).</summary>
    public required IReadOnlyList<IpPrefix> OverlayPrefixes { get; init; }

    public required WgKey PrivateKey { get; init; }

    /// <summary>A key an interrupted rotation left behind, or null.</summary>
    public WgKey? NextPrivateKey { get; init; }

    public DateTimeOffset? KeyExpiresAt { get; init; }

    public TimeSpan KeyLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The Ed25519 machine key the node signs coordinator calls and relay Hellos with; null: no relay client.</summary>
    public MeshPorts.Node.StateDirectory.MachineKey? Machine { get; init; }
}
