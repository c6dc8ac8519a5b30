using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
using MeshPorts.Node.Agent;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Device;
using MeshPorts.Node.Discovery;
using MeshPorts.Node.Expose;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Io;
using MeshPorts.Node.LocalControl;
using MeshPorts.Node.LocalControl.Status;
using MeshPorts.Node.Names;
using MeshPorts.Node.StateDirectory;
using MeshPorts.Node.Uapi;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Daemon;

/// <summary>
/// The running <c>up</c>: the TUN with its overlay addresses, the device with its filter, the port
/// proxy, the UAPI and control sockets, and the agent following the coordinator. <see cref="RunAsync"/>
/// returns when told to stop (SIGTERM, <c>down</c>), when the interface is deleted, or when the agent
/// cannot go on; every path tears everything down, so nothing is left behind.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class NodeDaemon : IDisposable
{
    private readonly UpOptions _options;
    private readonly NodeIdentity _identity;
    private readonly ICoordinatorLink _link;
    private readonly INodeKeyStore _keys;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _controlDirectory;
    private readonly CancellationTokenSource _stop = new();
    private string _stopReason = "stopped";

    public NodeDaemon(UpOptions options, NodeIdentity identity, ICoordinatorLink link, INodeKeyStore keys, ILoggerFactory loggers, TimeProvider time, string controlDirectory = ControlServer.DefaultDirectory)
    {
        _options = options;
        _identity = identity;
        _link = link;
        _keys = keys;
        _loggers = loggers;
        _logger = loggers.CreateLogger("meshports.up");
        _time = time;
        _controlDirectory = controlDirectory;
    }

    public void Dispose() => _stop.Dispose();

    /// <summary>Asks the daemon to go down (SIGTERM, <c>meshports-node down</c>).</summary>
    public void Stop(string why)
    {
        _stopReason = why;
        _stop.Cancel();
    }

    /// <summary>Runs until stopped; the exit code for the process.</summary>
    public async Task<int> RunAsync()
    {
        var exit = await RunUntilStoppedAsync().ConfigureAwait(false);

        // Every component was disposed on the way out of RunUntilStoppedAsync; the interface, and with
        // it the addresses and routes, went with the TUN's descriptor.
        DaemonLog.Down(_logger, _options.InterfaceName);
        return exit;
    }

    private async Task<int> RunUntilStoppedAsync()
    {
        var ifname = _options.InterfaceName;
        var addresses = new List<IPAddress> { _identity.OverlayIpv4 };
        if (_identity.OverlayIpv6 is not null)
        {
            addresses.Add(_identity.OverlayIpv6);
        }

        var filter = new PacketFilter(_time, addresses, clock: new CoordinatorClock(_time));
        ITunDevice tun = LinuxTunDevice.Create(ifname, offloads: _options.Offloads);
        // With a machine key (every enrolled node) the path manager owns each mesh peer's endpoint: relay
        // first, direct once a probe answers (docs/nat.md). Without one the enrolled endpoints are used as-is.
        var pathManaged = _identity.Machine is not null;
        using var device = new Device.Device(tun, new LinuxUdpTransportFactory(_options.Offloads), _time, _loggers.CreateLogger<Device.Device>(),
            new DeviceOptions { PathManaged = pathManaged }, filter: filter);
        device.Configure(_identity.PrivateKey, _options.ListenPort);
        LinkSetup.Apply(ifname, _identity.OverlayIpv4, _identity.OverlayIpv6, _identity.OverlayPrefixes);
        InterfaceForwarding.Disable(ifname, _logger);
        var overlayIndex = Native.Linux.Rtnetlink.GetInterfaceIndex(ifname);
        device.Start();

        using var agent = new MeshAgent(
            device,
            _link,
            _keys,
            _identity.PrivateKey,
            _identity.NextPrivateKey,
            _identity.KeyExpiresAt,
            _identity.KeyLifetime,
            new AgentOptions { RotationWait = _options.RotationWait, ServeNames = _options.Names },
            _time,
            _loggers.CreateLogger<MeshAgent>());

        await using var pathStack = pathManaged
            ? PathStack.Attach(device, agent, _link, _identity.Machine!, _identity, await DiscoveryOptionsAsync().ConfigureAwait(false), _time, _loggers, _stop.Token)
            : null;

        await using var names = _options.Names ? new NameServer(addresses, () => overlayIndex, NameZone.SelfOnly(SelfName()), new NameForwarder(new HostResolvers(addresses).Current), device.Clock, _loggers.CreateLogger<NameServer>()) : null;
        names?.Start();
        using var splitDns = names is { Serving.Count: > 0 } ? SplitDns.Start(ifname, names.Serving[0], names.Zone.Suffix, _loggers.CreateLogger<SplitDns>()) : null;
        if (names is not null)
        {
            // Rebuilt under the agent's lock from every netmap applied, so a name appears or goes with the
            // delta that says so; a new suffix from the coordinator is routed anew.
            agent.ViewApplied = view =>
            {
                var zone = NameZone.Build(view.Self, SelfName(), view.Peers, device.Clock);
                names.Update(zone);
                splitDns?.Route(zone.Suffix);
            };
        }

        await using var uapi = new UapiServer(UapiServer.DefaultSocketPath(ifname), new ReadOnlyUapiDevice(device), _loggers.CreateLogger<UapiServer>());
        uapi.Start();

        await using var proxy = _options.Expose.Count > 0
            ? new OverlayPortProxy(ifname, addresses, _options.Expose, logger: _loggers.CreateLogger<OverlayPortProxy>(), timeProvider: _time)
            : null;
        proxy?.Start();
        foreach (var spec in _options.Expose)
        {
            DaemonLog.Exposing(_logger, spec.ToString());
        }

        await using var control = new ControlServer(
            ControlServer.PathFor(ifname, _controlDirectory),
            () => JsonSerializer.Serialize(BuildStatus(device, agent, proxy, pathStack, names), StatusJsonContext.Default.NodeStatusDocument),
            () => Stop("meshports-node down"),
            _logger);
        control.Start();

        Metrics.MetricsResponder? scraped = null;
        await using var metrics = _options.MetricsListen is { } metricsListen
            ? new Metrics.MetricsResponder(
                metricsListen,
                () => Metrics.NodeMetricsFormatter.Format(Metrics.NodeMetricsReader.Read(_identity.Name, device, agent, _time, pathStack, names?.Counters) with { MetricsRejected = scraped?.Rejected ?? 0 }),
                _loggers.CreateLogger<Metrics.MetricsResponder>())
            : null;
        scraped = metrics;
        metrics?.Start();

        DaemonLog.Up(_logger, ifname, _identity.Name, _identity.OverlayIpv4.ToString(), _identity.OverlayIpv6?.ToString() ?? "", agent.PublicKey.ToBase64(), device.ListenPort);

        if (pathStack is not null)
        {
            await pathStack.StartAsync(_stop.Token).ConfigureAwait(false);
        }

        var exit = 0;
        var agentRun = agent.RunAsync(_stop.Token);
        var finished = await Task.WhenAny(agentRun, device.Closed, WaitForStopAsync()).ConfigureAwait(false);
        if (finished == device.Closed)
        {
            _stopReason = $"{ifname} was deleted";
        }
        else if (finished == agentRun && agentRun.Exception?.InnerException is AgentFatalException fatal)
        {
            DaemonLog.Fatal(_logger, fatal.Message);
            _stopReason = "the coordinator refused this node";
            exit = 1;
        }

        DaemonLog.Stopping(_logger, _stopReason);
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await agentRun.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or AgentFatalException)
        {
            // Reported above.
        }

        return exit;
    }

    private async Task WaitForStopAsync()
    {
        try
        {
            await Task.Delay(Timeout.Infinite, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    // --endpoint values as IP literals (names resolved now), the first candidates discovery reports.
    private async Task<EndpointDiscoveryOptions> DiscoveryOptionsAsync()
    {
        IReadOnlyList<string> endpoints = [];
        if (_options.Endpoints.Count > 0)
        {
            try
            {
                endpoints = await AdvertisedEndpoints.ResolveAsync(_options.Endpoints, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or FormatException or ArgumentException)
            {
                DaemonLog.EndpointsUnresolved(_logger, ex.Message);
            }
        }

        return EndpointDiscoveryOptions.From(_options, _identity.CoordinatorUrl, endpoints);
    }

    private NameEntry SelfName() =>
        new(NameZone.Label(_identity.Name) ?? "self", _identity.OverlayIpv4, _identity.OverlayIpv6, long.MaxValue, IsSelf: true);

    private NodeStatusDocument BuildStatus(Device.Device device, MeshAgent agent, OverlayPortProxy? proxy, PathStack? pathStack, NameServer? names)
    {
        var status = agent.Status();
        var filter = device.Filter!;
        var rows = device.MeshPeers()
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => (p.NodeId, PeerStatusDocument.From(p)))
            .ToList();
        var peers = pathStack is null ? [.. rows.Select(r => r.Item2)] : pathStack.WithRoundTrips(rows);
        var exposed = proxy?.GetStatus()
            .Select(e => new ExposedStatusDocument(e.Port, e.Protocol, e.Service, e.Listening, e.Connections, e.Active, e.Failures))
            .ToList() ?? [];
        return new NodeStatusDocument
        {
            Name = _identity.Name,
            Interface = _options.InterfaceName,
            OverlayIp = _identity.OverlayIpv4.ToString(),
            OverlayIpv6 = _identity.OverlayIpv6?.ToString(),
            PublicKey = agent.PublicKey.ToBase64(),
            KeyExpiresAt = status.KeyExpiresAt,
            ListenPort = device.ListenPort,
            Coordinator = new CoordinatorStatusDocument(
                (_link.CurrentUrl ?? _identity.CoordinatorUrl).ToString(),
                status.Connected,
                status.Serial,
                status.LastContact,
                status.LastError,
                status.Rotations),
            Exposed = exposed,
            Peers = peers,
            Filter = new FilterStatusDocument(filter.Rules.Count, filter.FlowCount, filter.Counters.Allowed, filter.Counters.TotalDenied, filter.Counters.CutFlows),
            Drops = DropCounts.From(filter.Counters, device.Counters, device.Engine.Counters, pathStack?.Relay.Counters, pathStack?.Paths.Counters, names?.Counters),
        };
    }

}
