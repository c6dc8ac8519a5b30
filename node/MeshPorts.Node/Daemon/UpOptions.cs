using MeshPorts.Node.Expose;
using MeshPorts.Node.StateDirectory;

namespace MeshPorts.Node.Daemon;

/// <summary>What <c>meshports-node up</c> was asked to do (see <see cref="Cli.UpCommand"/> for the parsing).</summary>
internal sealed record UpOptions
{
    public const string DefaultInterface = "mp0";
    public const ushort DefaultListenPort = 51820;

    /// <summary>The join string; null when the state dir already holds an identity.</summary>
    public string? Join { get; init; }

    public string? Name { get; init; }

    public IReadOnlyList<ExposeSpec> Expose { get; init; } = [];

    public string InterfaceName { get; init; } = DefaultInterface;

    public string StateDirectory { get; init; } = NodeStateStore.DefaultDirectory(DefaultInterface);

    public ushort ListenPort { get; init; } = DefaultListenPort;

    /// <summary>Underlay HOST:PORT where peers reach this node; empty = the host's own addresses.</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = [];

    /// <summary>
    /// Extra STUN servers (HOST:PORT, UDP) asked for this node's reflexive address, besides the coordinator
    /// and the relays that have a UDP endpoint.
    /// </summary>
    public IReadOnlyList<string> StunServers { get; init; } = [];

    /// <summary>False after <c>--stun off</c>: no STUN at all, so only local addresses and --endpoint are reported.</summary>
    public bool Stun { get; init; } = true;

    /// <summary>How long a key rotation waits for every peer to have the new key before switching anyway.</summary>
    public TimeSpan RotationWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>TSO/GRO on the TUN and GSO/GRO on the UDP socket (--no-offload turns them off).</summary>
    public bool Offloads { get; init; } = true;

    /// <summary>Answer DNS for NAME.SUFFIX on the overlay addresses, port 53, and set split DNS (--no-dns turns it off).</summary>
    public bool Names { get; init; } = true;

    /// <summary>Where to serve Prometheus metrics (<c>--metrics-listen</c>); null = not at all.</summary>
    public System.Net.IPEndPoint? MetricsListen { get; init; }
}
