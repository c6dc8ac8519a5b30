using MeshPorts.Node.Agent;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Discovery;
using MeshPorts.Node.LocalControl.Status;
using MeshPorts.Node.Paths;
using MeshPorts.Node.Relay;
using MeshPorts.Node.StateDirectory;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Daemon;

/// <summary>
/// Everything that finds and keeps a path to each peer (docs/nat.md), put together for a running <c>up</c>:
/// endpoint discovery (STUN from the WireGuard socket, the endpoint report), the relay client and the path
/// manager, each plugged into the device's socket demux and into the agent's netmap. The device, the filter
/// and key rotation do not know which path a datagram took.
/// </summary>
internal sealed class PathStack : IAsyncDisposable
{
    private readonly RelayClient _relay;
    private readonly PathManager _paths;
    private readonly EndpointDiscovery _discovery;
    private readonly Device.Device _device;

    private PathStack(Device.Device device, RelayClient relay, PathManager paths, EndpointDiscovery discovery)
    {
        _device = device;
        _relay = relay;
        _paths = paths;
        _discovery = discovery;
    }

    public PathManager Paths => _paths;

    public RelayClient Relay => _relay;

    /// <summary>Plugs discovery, the relay client and the path manager into <paramref name="device"/> (created with PathManaged) and <paramref name="agent"/>.</summary>
    public static PathStack Attach(
        Device.Device device,
        MeshAgent agent,
        ICoordinatorLink link,
        MachineKey machine,
        NodeIdentity identity,
        EndpointDiscoveryOptions discoveryOptions,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken stopping)
    {
        var relay = new RelayClient(link, machine, device, device, time, loggers.CreateLogger("meshports.relay"));
        var paths = new PathManager(identity.PrivateKey, device, device, new CallMeSender(link, loggers.CreateLogger("meshports.paths"), stopping), relay, time,
            loggers.CreateLogger("meshports.paths"));
        var discovery = new EndpointDiscovery(discoveryOptions, link, device, () => relay.HomeRelay, paths.Status, () => relay.RelayUdpEndpoints, time, loggers);
        device.RelayLink = relay;
        device.ProbeSink = paths;
        device.StunSink = discovery;
        device.OwnKeyRotated += paths.RotatePrivateKey;
        agent.CallMeHandler = paths;
        agent.MeshApplied = peers =>
        {
            // The relay client first: the path manager asks it which peers a relay reaches.
            relay.UpdatePeers(peers);
            relay.NetmapChanged();
            paths.Update(peers);
        };
        return new PathStack(device, relay, paths, discovery);
    }

    public async Task StartAsync(CancellationToken cancellation)
    {
        _relay.Start();
        _paths.Start();
        await _discovery.StartAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>Adds what only the path manager knows (the direct path's round trip) to a peer's status.</summary>
    public IReadOnlyList<PeerStatusDocument> WithRoundTrips(IReadOnlyList<(string NodeId, PeerStatusDocument Document)> peers)
    {
        var rtt = _paths.Status().Where(p => p.RoundTrip is not null).ToDictionary(p => p.PeerNodeId, p => p.RoundTrip!.Value, StringComparer.Ordinal);
        return [.. peers.Select(p => rtt.TryGetValue(p.NodeId, out var r) && p.Document.Path == "direct"
            ? p.Document with { RttMs = Math.Round(r.TotalMilliseconds, 3) }
            : p.Document)];
    }

    public async ValueTask DisposeAsync()
    {
        _device.OwnKeyRotated -= _paths.RotatePrivateKey;
        await _discovery.DisposeAsync().ConfigureAwait(false);
        _paths.Dispose();
        await _relay.DisposeAsync().ConfigureAwait(false);
    }
}
