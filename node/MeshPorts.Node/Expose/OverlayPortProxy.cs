using System.Net;
using System.Net.Sockets;
using MeshPorts.Contracts.Grammar;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Node.Expose;

/// <summary>
/// Makes local services reachable on the node's overlay addresses at the same port, and only
/// there: every listener is bound to the overlay interface (see <see cref="OverlaySocket"/>) and
/// relays to 127.0.0.1 (or [::1]). Which peers may connect is the packet filter's job, in front.
/// </summary>
internal sealed class OverlayPortProxy : IAsyncDisposable
{
    private readonly string _interfaceName;
    private readonly IReadOnlyList<IPAddress> _addresses;
    private readonly IReadOnlyList<ExposeSpec> _specs;
    private readonly ExposeCounters[] _counters;
    private readonly ExposeOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly List<Func<Task>> _stops = [];
    private readonly List<Task> _loops = [];
    private CancellationTokenSource? _stopping;
    private bool _listening;

    /// <param name="interfaceName">The overlay TUN, e.g. mp0; listeners accept only packets that arrived on it.</param>
    /// <param name="overlayAddresses">The node's overlay IPv4 and/or IPv6 addresses; they need not be configured yet.</param>
    /// <param name="specs">What to expose; each port/protocol at most once.</param>
    public OverlayPortProxy(
        string interfaceName,
        IReadOnlyList<IPAddress> overlayAddresses,
        IReadOnlyList<ExposeSpec> specs,
        ExposeOptions? options = null,
        ILogger<OverlayPortProxy>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        ArgumentNullException.ThrowIfNull(overlayAddresses);
        ArgumentNullException.ThrowIfNull(specs);
        if (overlayAddresses.Count == 0)
        {
            throw new ArgumentException("Give the node's overlay address to listen on.", nameof(overlayAddresses));
        }

        foreach (var spec in specs)
        {
            if (specs.Count(s => s.Port == spec.Port && s.Protocol == spec.Protocol) > 1)
            {
                throw new ArgumentException($"--expose {spec.Port}/{spec.ProtocolName} is given twice; expose each port/protocol once.", nameof(specs));
            }
        }

        _interfaceName = interfaceName;
        _addresses = overlayAddresses;
        _specs = specs;
        _counters = specs.Select(_ => new ExposeCounters()).ToArray();
        _options = options ?? new ExposeOptions();
        _options.Validate();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Binds every listener and starts relaying. Either all listeners start, or none stays open and
    /// Start may be called again. The overlay addresses need not be configured yet (FREEBIND).
    /// </summary>
    /// <exception cref="InvalidOperationException">Started twice, or a port could not be bound; the message says what to change.</exception>
    public void Start()
    {
        if (_stopping is not null)
        {
            throw new InvalidOperationException("The overlay port proxy was already started.");
        }

        _stopping = new CancellationTokenSource();
        var token = _stopping.Token;
        var started = new List<(Func<Task> Run, Func<Task> Stop)>();
        try
        {
            for (var i = 0; i < _specs.Count; i++)
            {
                var spec = _specs[i];
                foreach (var address in _addresses)
                {
                    started.Add(Open(spec, _counters[i], address, token));
                }
            }
        }
        catch
        {
            foreach (var (_, stop) in started)
            {
                stop().GetAwaiter().GetResult();
            }

            // Nothing is left open, so the caller may fix the cause and call Start again.
            _stopping.Dispose();
            _stopping = null;
            throw;
        }

        foreach (var (run, stop) in started)
        {
            _loops.Add(Task.Run(run, CancellationToken.None));
            _stops.Add(stop);
        }

        _listening = true;
    }

    /// <summary>Closes every listener and resets every relayed connection; returns when all are gone.</summary>
    public async Task StopAsync()
    {
        if (_stopping is null || !_listening)
        {
            return;
        }

        _listening = false;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_stops.Select(stop => stop())).ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
        foreach (var spec in _specs)
        {
            ExposeLog.StoppedListening(_logger, spec.ToString());
        }
    }

    /// <summary>What is exposed and its counters, in the order given, for status output.</summary>
    public IReadOnlyList<ExposedPortStatus> GetStatus()
    {
        var status = new ExposedPortStatus[_specs.Count];
        for (var i = 0; i < _specs.Count; i++)
        {
            var (spec, counters) = (_specs[i], _counters[i]);
            status[i] = new ExposedPortStatus(
                spec.Port,
                spec.ProtocolName,
                spec.Service,
                _listening,
                counters.Connections,
                counters.Active,
                counters.Failures,
                counters.BytesToService,
                counters.BytesFromService);
        }

        return status;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping?.Dispose();
    }

    private (Func<Task> Run, Func<Task> Stop) Open(ExposeSpec spec, ExposeCounters counters, IPAddress address, CancellationToken token)
    {
        var type = spec.Protocol == PortProtocol.Tcp ? SocketType.Stream : SocketType.Dgram;
        Socket socket;
        try
        {
            socket = OverlaySocket.Bind(_interfaceName, address, spec.Port, type);
            if (type == SocketType.Stream)
            {
                socket.Listen(_options.ListenBacklog);
            }
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException(BindFailure(spec, address, e), e);
        }

        ExposeLog.Listening(_logger, spec.ToString(), address, _interfaceName);
        if (type == SocketType.Stream)
        {
            var listener = new TcpExposeListener(socket, address, _addresses, spec, counters, _options, _logger, _time);
            return (() => listener.AcceptLoopAsync(token), listener.StopAsync);
        }

        var relay = new UdpExposeRelay(socket, address, _addresses, spec, counters, _options, _logger, _time);
        return (() => relay.ReceiveLoopAsync(token), relay.StopAsync);
    }

    private string BindFailure(ExposeSpec spec, IPAddress address, SocketException e)
    {
        var where = $"cannot expose {spec} on {address} via {_interfaceName}: {e.Message}.";
        return e.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse =>
                $"{where} Something already listens on port {spec.Port} on all addresses; bind the service to 127.0.0.1 (or [::1]) only.",
            SocketError.AccessDenied => spec.Port < 1024
                ? $"{where} Ports below 1024 need root or CAP_NET_BIND_SERVICE."
                : $"{where} Run the node as root (or with CAP_NET_ADMIN; kernels before 5.7 also want CAP_NET_RAW for SO_BINDTODEVICE).",
            SocketError.AddressFamilyNotSupported => $"{where} IPv6 is disabled on this host; enable it or leave out the IPv6 overlay address.",
            _ => where,
        };
    }
}
