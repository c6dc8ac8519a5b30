using System.Net;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Daemon;
using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Discovery;

/// <summary>
/// Endpoint discovery on a running node (docs/nat.md, "candidate discovery" and "ReportEndpoints"): the
/// host's addresses, the reflexive addresses STUN servers see the WireGuard socket at, and --endpoint,
/// reported to the coordinator by <see cref="EndpointReporter"/>. STUN runs at start, every
/// <see cref="EndpointDiscoveryOptions.StunInterval"/> and as soon as the host's addresses change.
/// The device hands STUN answers to <see cref="TryHandleStun"/>.
/// </summary>
internal sealed class EndpointDiscovery : IStunSink, IAsyncDisposable
{
    private readonly EndpointDiscoveryOptions _options;
    private readonly Func<IReadOnlyList<string>> _relayStunServers;
    private readonly Func<IReadOnlyList<string>> _localCandidates;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StunClient _stun;
    private readonly StunServers _servers;
    private readonly EndpointReporter _reporter;
    private readonly HashSet<IPEndPoint> _silent = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _running = Task.CompletedTask;
    private bool _symmetricLogged;
    private IReadOnlyList<string> _lastLogged = [];

    /// <param name="options">Ports, --endpoint, STUN servers (<see cref="EndpointDiscoveryOptions.From"/>).</param>
    /// <param name="link">The coordinator.</param>
    /// <param name="underlay">The device's WireGuard socket: STUN requests leave from it.</param>
    /// <param name="homeRelay">The relay id this node is reachable at now, or null (the relay client's choice).</param>
    /// <param name="paths">How this node reaches each peer now (the path manager's view).</param>
    /// <param name="relayStunServers">Current relays' udp_endpoint values (HOST:PORT); asked for STUN as well unless --stun off.</param>
    /// <param name="time">The clock for every timer here.</param>
    /// <param name="loggers">Logs under "meshports.discovery".</param>
    /// <param name="localCandidates">The host's own candidates; default <see cref="HostEndpoints.Discover"/>.</param>
    /// <param name="resolve">Name resolution for STUN servers; default <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>.</param>
    public EndpointDiscovery(
        EndpointDiscoveryOptions options,
        ICoordinatorLink link,
        IUnderlaySender underlay,
        Func<string?> homeRelay,
        Func<IReadOnlyList<PeerPathStatus>> paths,
        Func<IReadOnlyList<string>> relayStunServers,
        TimeProvider time,
        ILoggerFactory loggers,
        Func<IReadOnlyList<string>>? localCandidates = null,
        Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _options = options;
        _relayStunServers = relayStunServers;
        _localCandidates = localCandidates ?? (() => HostEndpoints.Discover(options.ListenPort, options.InterfaceName));
        _time = time;
        _logger = loggers.CreateLogger("meshports.discovery");
        _stun = new StunClient(underlay, time);
        _servers = new StunServers(resolve ?? Dns.GetHostAddressesAsync, _logger);
        _reporter = new EndpointReporter(link, homeRelay, paths, time, _logger);
    }

    /// <summary>The candidates last handed to the reporter (empty before the first).</summary>
    public IReadOnlyList<string> CurrentCandidates { get; private set; } = [];

    /// <summary>True once two STUN servers saw different ports for the WireGuard socket.</summary>
    public bool SymmetricNat { get; private set; }

    public bool TryHandleStun(ReadOnlySpan<byte> datagram, in PeerEndpoint source) => _stun.TryHandleStun(datagram, source);

    /// <summary>Starts discovery and reporting in the background; returns at once.</summary>
    public Task StartAsync(CancellationToken cancellation)
    {
        var token = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _stopping.Token).Token;
        _running = Task.WhenAll(Guard(DiscoverAsync(token)), Guard(_reporter.RunAsync(token)));
        return Task.CompletedTask;
    }

    public void Stop() => _stopping.Cancel();

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task DiscoverAsync(CancellationToken cancellation)
    {
        IReadOnlyList<string>? local = null;
        IReadOnlyList<IPEndPoint> reflexive = [];
        var nextStun = _time.GetUtcNow();
        while (true)
        {
            var now = _time.GetUtcNow();
            var seen = _localCandidates();
            if (local is null || !seen.SequenceEqual(local, StringComparer.Ordinal))
            {
                // A new network: what STUN saw from the old one is no longer true; ask again now.
                local = seen;
                reflexive = [];
                nextStun = now;
                Publish(local, reflexive);
            }

            if (now >= nextStun)
            {
                reflexive = await StunRoundAsync(cancellation).ConfigureAwait(false);
                nextStun = _time.GetUtcNow() + _options.StunInterval;
                Publish(local, reflexive);
            }

            var untilStun = nextStun - _time.GetUtcNow();
            await Task.Delay(untilStun < _options.LocalPoll ? (untilStun > TimeSpan.Zero ? untilStun : TimeSpan.Zero) : _options.LocalPoll, _time, cancellation).ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyList<IPEndPoint>> StunRoundAsync(CancellationToken cancellation)
    {
        if (!_options.Stun)
        {
            return [];
        }

        var servers = await _servers.ResolveAsync(_options.StunServers.Concat(_relayStunServers()), cancellation).ConfigureAwait(false);
        var answers = await _stun.QueryAllAsync(servers, cancellation).ConfigureAwait(false);
        foreach (var answer in answers)
        {
            if (answer.Mapped is null)
            {
                if (_silent.Add(answer.Server))
                {
                    DiscoveryLog.ServerSilent(_logger, answer.Server.ToString());
                }
            }
            else if (_silent.Remove(answer.Server))
            {
                DiscoveryLog.ServerBack(_logger, answer.Server.ToString());
            }
        }

        if (Candidates.LooksSymmetric(answers))
        {
            SymmetricNat = true;
            if (!_symmetricLogged)
            {
                _symmetricLogged = true;
                DiscoveryLog.SymmetricNat(_logger, string.Join(", ", answers.Where(a => a.Mapped is not null).Select(a => $"{a.Mapped} via {a.Server}")));
            }
        }

        return answers.Where(a => a.Mapped is not null).Select(a => a.Mapped!).ToList();
    }

    private void Publish(IReadOnlyList<string> local, IReadOnlyList<IPEndPoint> reflexive)
    {
        var candidates = Candidates.Build(_options.Endpoints, reflexive, local);
        CurrentCandidates = candidates;
        if (!candidates.SequenceEqual(_lastLogged, StringComparer.Ordinal))
        {
            _lastLogged = candidates;
            DiscoveryLog.Candidates(_logger, string.Join(", ", candidates));
        }

        _reporter.SetCandidates(candidates);
    }

    private async Task Guard(Task loop)
    {
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested || loop.IsCanceled)
        {
        }
        catch (Exception ex)
        {
            // Discovery is an optimisation: the node still works at its enrolled endpoints without it.
            DiscoveryLog.Crashed(_logger, ex.Message);
        }
    }
}
