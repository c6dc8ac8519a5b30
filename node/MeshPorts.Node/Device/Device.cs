using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Io;
using MeshPorts.Node.Routing;
using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Device;

/// <summary>
/// One WireGuard interface: a TUN device, a UDP socket and the protocol engine between them.
/// Split by concern: sending (TUN to UDP) in Device.Send.cs, receiving in Device.Receive.cs, timers in
/// Device.Timers.cs and configuration through the UAPI in Device.Uapi.cs.
/// </summary>
/// <remarks>
/// Threads: one reads the TUN and encrypts, one reads the UDP socket and decrypts, one advances the
/// timers. Each direction is handled by a single thread, so the packets of a peer stay in order.
/// </remarks>
internal sealed partial class Device : IEngineOutput, IDisposable
{
    private readonly WireGuardEngine _engine;
    private readonly ITunDevice _tun;
    private readonly IUdpTransportFactory _udpFactory;
    private readonly DeviceOptions _options;
    private readonly ILogger _logger;
    private readonly AllowedIpsTable<Peer> _routes = new();
    private readonly DeviceCounters _counters = new();
    private readonly Lock _configLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Thread> _threads = [];
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IUdpTransport? _udp;
    private ushort _listenPort;
    private uint _fwmark;
    private bool _started;
    private bool _disposed;

    /// <param name="filter">The stateful packet filter for mesh mode (<c>up</c>); null for bare WireGuard.</param>
    public Device(ITunDevice tun, IUdpTransportFactory udpFactory, TimeProvider time, ILogger logger, DeviceOptions? options = null, PacketFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(tun);
        ArgumentNullException.ThrowIfNull(udpFactory);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options ?? new DeviceOptions();
        _options.Validate();
        _tun = tun;
        _udpFactory = udpFactory;
        _logger = logger;
        _engine = new WireGuardEngine(time);
        _filter = filter;
        Time = time;
        Clock = filter?.Clock ?? new CoordinatorClock(time);
    }

    public string Name => _tun.Name;

    public TimeProvider Time { get; }

    /// <summary>Turns peers' ends into monotonic deadlines; the filter's, so both end together.</summary>
    public CoordinatorClock Clock { get; }

    /// <summary>The protocol engine; exposed for status reporting and tests.</summary>
    public WireGuardEngine Engine => _engine;

    public DeviceCounters Counters => _counters;

    /// <summary>Completes when the TUN goes away (e.g. <c>ip link del</c>) or the device is disposed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>The UDP port actually bound (the configured one, or the ephemeral one picked for 0).</summary>
    public ushort ListenPort => _udp?.LocalPort ?? _listenPort;

    /// <summary>Binds the UDP socket and starts the data-plane threads.</summary>
    public void Start()
    {
        lock (_configLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
            {
                return;
            }

            _started = true;
            BindUdp(_listenPort);
            StartThread("tun-read", TunReadLoop, onExit: () => _closed.TrySetResult());
            StartThread("timers", TimerLoop);
        }

        DeviceLog.Started(_logger, _tun.Name, _tun.Mtu, ListenPort, _tun.Offloads, _udp?.Offloads ?? "none");
    }

    /// <summary>The allowed IPs of one peer, for status output.</summary>
    public IReadOnlyList<IpPrefix> AllowedIpsOf(Peer peer) => [.. _routes.EnumerateFor(peer)];

    public void Dispose()
    {
        lock (_configLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _stopping.Cancel();
        _tun.Dispose();
        _udp?.Dispose();
        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }

        _engine.RemoveAllPeers();
        _engine.SetPrivateKey(null);
        _stopping.Dispose();
        DeviceLog.Stopped(_logger, _tun.Name);
    }

    // Called with _configLock held.
    private void BindUdp(ushort port)
    {
        var fresh = _udpFactory.Bind(port);
        if (_fwmark != 0)
        {
            fresh.SetFwmark(_fwmark);
        }

        var old = _udp;
        _udp = fresh;
        old?.Dispose();
        StartThread($"udp-read-{fresh.LocalPort}", () => UdpReadLoop(fresh));
    }

    private void StartThread(string name, Action loop, Action? onExit = null)
    {
        var thread = new Thread(() =>
        {
            try
            {
                loop();
            }
            catch (Exception ex) when (!_stopping.IsCancellationRequested)
            {
                DeviceLog.LoopFailed(_logger, name, ex);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                // Closing the TUN or socket under a blocked reader may surface as an error; that is the stop.
            }
            finally
            {
                onExit?.Invoke();
            }
        })
        {
            IsBackground = true,
            Name = $"{_tun.Name}-{name}",
        };
        _threads.RemoveAll(t => !t.IsAlive);
        _threads.Add(thread);
        thread.Start();
    }

    /// <summary>Sends handshake messages, cookie replies, keepalives and flushed packets for the engine.</summary>
    void IEngineOutput.SendDatagram(PeerEndpoint destination, ReadOnlySpan<byte> datagram) => SendUdp(datagram, destination);

    private void SendUdp(ReadOnlySpan<byte> datagram, in PeerEndpoint destination)
    {
        if (RelayEndpoints.IsVirtual(destination))
        {
            SendRelayed(datagram, destination);
            return;
        }

        var udp = _udp;
        if (udp is null || !destination.IsSet)
        {
            _counters.Drop(DeviceDrop.UdpSendFailed);
            return;
        }

        // Unreachable networks and a socket being rebound are transient; WireGuard's timers retry.
        if (!udp.Send(datagram, destination))
        {
            _counters.Drop(DeviceDrop.UdpSendFailed);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                DeviceLog.SendFailed(_logger, destination.ToString());
            }
        }
    }

    private int SlotSize => Math.Max(2048, (_tun.Mtu + WireGuardEngine.MessageOverhead + 16 + 63) & ~63);
}
