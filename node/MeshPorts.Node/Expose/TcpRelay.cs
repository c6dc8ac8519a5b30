using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Expose;

/// <summary>
/// One overlay TCP connection spliced to the local service. Both directions run as async pumps over
/// pooled buffers; a FIN is passed on as a half-close, and an error or reset on either side resets
/// both at once, so when the packet filter cuts a flow with an RST the service sees the end too.
/// </summary>
internal sealed class TcpRelay
{
    // linux/tcp.h: getsockopt(IPPROTO_TCP, TCP_INFO); tcpi_state is the first byte of struct tcp_info.
    private const int IpProtoTcp = 6;
    private const int TcpInfo = 11;

    // include/net/tcp_states.h
    private const byte TcpStateClose = 7;

    private static readonly TimeSpan HalfCloseCheck = TimeSpan.FromMilliseconds(200);

    private static readonly IPAddress[] LocalTargets = [IPAddress.Loopback, IPAddress.IPv6Loopback];

    private readonly Socket _overlay;
    private readonly ExposeSpec _spec;
    private readonly ExposeCounters _counters;
    private readonly ExposeOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EndPoint? _remote;
    private readonly Lock _gate = new();
    private Socket? _local;
    private bool _aborted;

    public TcpRelay(Socket overlay, ExposeSpec spec, ExposeCounters counters, ExposeOptions options, ILogger logger, TimeProvider time)
    {
        _overlay = overlay;
        _spec = spec;
        _counters = counters;
        _options = options;
        _logger = logger;
        _time = time;
        _remote = SafeRemote(overlay);
    }

    /// <summary>Resets both sides now; safe from any thread, any number of times.</summary>
    public void Abort()
    {
        Socket? local;
        lock (_gate)
        {
            _aborted = true;
            local = _local;
        }

        OverlaySocket.Abort(_overlay);
        OverlaySocket.Abort(local);
    }

    /// <summary>Relays until both sides have closed or one of them fails; never throws.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _counters.Opened();
        var how = "reset";
        try
        {
            var local = await ConnectLocalAsync(cancellationToken).ConfigureAwait(false);
            if (local is null)
            {
                // A connect cut short by StopAsync is not the service's fault.
                if (!cancellationToken.IsCancellationRequested)
                {
                    _counters.Failed();
                    ExposeLog.ServiceUnreachable(_logger, _spec.ToString(), _remote);
                }

                Abort();
                return;
            }

            lock (_gate)
            {
                _local = local;
                if (_aborted)
                {
                    OverlaySocket.Abort(local);
                    return;
                }
            }

            _overlay.NoDelay = true;
            local.NoDelay = true;
            var toService = PumpAsync(_overlay, local, toService: true, cancellationToken);
            var fromService = PumpAsync(local, _overlay, toService: false, cancellationToken);
            var first = await Task.WhenAny(toService, fromService).ConfigureAwait(false);
            if (!await first.ConfigureAwait(false))
            {
                Abort();
                await Task.WhenAll(toService, fromService).ConfigureAwait(false);
                return;
            }

            if (first == toService)
            {
                await WatchHalfClosedOverlayAsync(fromService, cancellationToken).ConfigureAwait(false);
            }

            if (!await (first == toService ? fromService : toService).ConfigureAwait(false))
            {
                Abort();
                return;
            }

            how = "closed";
            _overlay.Dispose();
            local.Dispose();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Abort();
        }
        finally
        {
            _counters.Closed();
            ExposeLog.RelayEnded(_logger, _spec.ToString(), _remote, how);
        }
    }

    private async Task<Socket?> ConnectLocalAsync(CancellationToken cancellationToken)
    {
        // Services commonly bind 127.0.0.1 only, some [::1] only; a refusal on one means try the other.
        foreach (var target in LocalTargets)
        {
            var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(target, _spec.Port), linked.Token).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException)
            {
                socket.Dispose();
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// After the peer's FIN the kernel answers every recv with 0, so an RST that the packet filter
    /// injects later would go unnoticed until the service writes. Until the service finishes, look at
    /// the overlay socket's TCP state and reset the service side as soon as the kernel has closed it.
    /// </summary>
    private async Task WatchHalfClosedOverlayAsync(Task fromService, CancellationToken cancellationToken)
    {
        var state = new byte[1];
        while (!fromService.IsCompleted)
        {
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(HalfCloseCheck, _time, tick.Token);
            await Task.WhenAny(fromService, delay).ConfigureAwait(false);
            await tick.CancelAsync().ConfigureAwait(false);
            if (fromService.IsCompleted || cancellationToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                if (_overlay.GetRawSocketOption(IpProtoTcp, TcpInfo, state) >= 1 && state[0] == TcpStateClose)
                {
                    Abort();
                    return;
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                Abort();
                return;
            }
        }
    }

    /// <summary>Copies one direction; true when it ended with a FIN that was passed on, false on any error.</summary>
    private async Task<bool> PumpAsync(Socket from, Socket to, bool toService, CancellationToken cancellationToken)
    {
        var size = _options.RelayBufferSize;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer.AsMemory(0, size), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return true;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (toService)
                {
                    _counters.ToService(read);
                }
                else
                {
                    _counters.FromService(read);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static EndPoint? SafeRemote(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
