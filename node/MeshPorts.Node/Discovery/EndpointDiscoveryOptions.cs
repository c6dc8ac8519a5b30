using MeshPorts.Node.Daemon;

namespace MeshPorts.Node.Discovery;

/// <summary>What endpoint discovery needs from <c>up</c>; <see cref="From"/> builds it from the parsed options.</summary>
internal sealed record EndpointDiscoveryOptions
{
    /// <summary>The WireGuard UDP port: local candidates are the host's addresses at this port.</summary>
    public ushort ListenPort { get; init; } = UpOptions.DefaultListenPort;

    /// <summary>This node's mesh interface, whose addresses are never candidates.</summary>
    public string InterfaceName { get; init; } = UpOptions.DefaultInterface;

    /// <summary>The <c>--endpoint</c> values, already resolved to IP literals (<see cref="AdvertisedEndpoints.ResolveAsync"/>).</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = [];

    /// <summary>STUN servers as HOST:PORT: the coordinator's host and port first, then <c>--stun</c>. Empty with <c>--stun off</c>.</summary>
    public IReadOnlyList<string> StunServers { get; init; } = [];

    /// <summary>False after <c>--stun off</c>: relays' UDP endpoints are not asked either.</summary>
    public bool Stun { get; init; } = true;

    /// <summary>How often STUN is asked again (NAT mappings of idle UDP flows last 30 s or more).</summary>
    public TimeSpan StunInterval { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>How often the host's addresses are looked at for a change (a laptop changing network).</summary>
    public TimeSpan LocalPoll { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The options of a running <c>up</c>: the coordinator of the join URL is always a STUN server
    /// (it answers on UDP at its own port), then the <c>--stun</c> servers.
    /// </summary>
    public static EndpointDiscoveryOptions From(UpOptions up, Uri coordinatorUrl, IReadOnlyList<string> resolvedEndpoints)
    {
        ArgumentNullException.ThrowIfNull(up);
        ArgumentNullException.ThrowIfNull(coordinatorUrl);
        var coordinator = coordinatorUrl.HostNameType == UriHostNameType.IPv6
            ? $"[{coordinatorUrl.DnsSafeHost}]:{coordinatorUrl.Port}"
            : $"{coordinatorUrl.DnsSafeHost}:{coordinatorUrl.Port}";
        return new EndpointDiscoveryOptions
        {
            ListenPort = up.ListenPort,
            InterfaceName = up.InterfaceName,
            Endpoints = resolvedEndpoints,
            StunServers = up.Stun ? [coordinator, .. up.StunServers] : [],
            Stun = up.Stun,
        };
    }
}
