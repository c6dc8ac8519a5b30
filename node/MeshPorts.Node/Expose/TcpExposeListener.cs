using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Expose;

/// <summary>Accepts overlay connections on one address of one exposed TCP port and starts a relay for each.</summary>
internal sealed class TcpExposeListener
{
    private readonly Socket _listener;
    private readonly IPAddress _address;
    private readonly IReadOnlyList<IPAddress> _overlayAddresses;
    private readonly ExposeSpec _spec;
    private readonly ExposeCounters _counters;
    private readonly ExposeOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<TcpRelay, Task> _relays = new();

    public TcpExposeListener(Socket listener, IPAddress address, IReadOnlyList<IPAddress> overlayAddresses, ExposeSpec spec, ExposeCounters counters, ExposeOptions options, ILogger logger, TimeProvider time)
    {
        _listener = listener;
        _address = address;
        _overlayAddresses = overlayAddresses;
        _spec = spec;
        _counters = counters;
        _options = options;
        _logger = logger;
        _time = time;
    }

    public async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                // The peer gave up between SYN and accept; nothing to relay.
                continue;
            }
            catch (SocketException e)
            {
                // EMFILE and friends: back off instead of spinning, and keep listening.
                _counters.Failed();
                ExposeLog.ListenerFailed(_logger, _spec.ToString(), _address, e);
                await Task.Delay(TimeSpan.FromMilliseconds(100), _time, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            if (accepted.RemoteEndPoint is not IPEndPoint remote || OverlaySocket.IsFromThisHost(remote.Address, _overlayAddresses))
            {
                _counters.Failed();
                ExposeLog.FromThisHost(_logger, _spec.ToString(), accepted.RemoteEndPoint);
                OverlaySocket.Abort(accepted);
                continue;
            }

            if (_counters.Active >= _options.MaxConnectionsPerPort)
            {
                _counters.Failed();
                ExposeLog.OverLimit(_logger, _spec.ToString(), _options.MaxConnectionsPerPort, accepted.RemoteEndPoint);
                OverlaySocket.Abort(accepted);
                continue;
            }

            var relay = new TcpRelay(accepted, _spec, _counters, _options, _logger, _time);
            _relays[relay] = Task.CompletedTask;

            // If the relay already finished and removed itself, TryUpdate finds no key and nothing leaks.
            _relays.TryUpdate(relay, RunRelayAsync(relay, cancellationToken), Task.CompletedTask);
        }
    }

    /// <summary>Closes the listener, resets every relayed connection and waits for the relays to finish.</summary>
    public async Task StopAsync()
    {
        _listener.Dispose();
        foreach (var relay in _relays.Keys)
        {
            relay.Abort();
        }

        await Task.WhenAll(_relays.Values).ConfigureAwait(false);
    }

    private async Task RunRelayAsync(TcpRelay relay, CancellationToken cancellationToken)
    {
        // Yield so the accept loop goes back to accepting while this connection is set up.
        await Task.Yield();
        try
        {
            await relay.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _relays.TryRemove(relay, out _);
        }
    }
}
