using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Expose;

/// <summary>
/// Relays one exposed UDP port on one overlay address: a session per overlay source, closed after
/// <see cref="ExposeOptions.UdpSessionIdle"/>, at most <see cref="ExposeOptions.MaxUdpSessionsPerPort"/> at once.
/// </summary>
internal sealed class UdpExposeRelay
{
    private const int MaxDatagram = 65_535;

    private readonly Socket _overlay;
    private readonly IPAddress _address;
    private readonly IReadOnlyList<IPAddress> _overlayAddresses;
    private readonly ExposeSpec _spec;
    private readonly ExposeCounters _counters;
    private readonly ExposeOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<IPEndPoint, UdpSession> _sessions = new();
    private ITimer? _sweeper;

    public UdpExposeRelay(Socket overlay, IPAddress address, IReadOnlyList<IPAddress> overlayAddresses, ExposeSpec spec, ExposeCounters counters, ExposeOptions options, ILogger logger, TimeProvider time)
    {
        _overlay = overlay;
        _address = address;
        _overlayAddresses = overlayAddresses;
        _spec = spec;
        _counters = counters;
        _options = options;
        _logger = logger;
        _time = time;
    }

    public async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        // Idle sessions are found within a quarter of the idle time, but no more often than each 250 ms.
        var period = TimeSpan.FromTicks(Math.Max(_options.UdpSessionIdle.Ticks / 4, TimeSpan.FromMilliseconds(250).Ticks));
        _sweeper = _time.CreateTimer(_ => SweepIdle(), null, period, period);
        EndPoint any = new IPEndPoint(_address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var buffer = ArrayPool<byte>.Shared.Rent(MaxDatagram);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                SocketReceiveFromResult received;
                try
                {
                    received = await _overlay.ReceiveFromAsync(buffer.AsMemory(0, MaxDatagram), SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize)
                {
                    continue;
                }

                var remote = (IPEndPoint)received.RemoteEndPoint;
                if (OverlaySocket.IsFromThisHost(remote.Address, _overlayAddresses))
                {
                    _counters.Failed();
                    ExposeLog.FromThisHost(_logger, _spec.ToString(), remote);
                    continue;
                }

                if (!_sessions.TryGetValue(remote, out var session))
                {
                    if (_sessions.Count >= _options.MaxUdpSessionsPerPort)
                    {
                        _counters.Failed();
                        ExposeLog.OverLimit(_logger, _spec.ToString(), _options.MaxUdpSessionsPerPort, remote);
                        continue;
                    }

                    try
                    {
                        session = UdpSession.Open(_overlay, remote, _spec.Port, _counters, _time, cancellationToken);
                    }
                    catch (SocketException)
                    {
                        // Out of sockets or ports: drop this datagram, keep serving the others.
                        _counters.Failed();
                        continue;
                    }

                    _sessions[remote] = session;
                }

                await session.ForwardAsync(buffer.AsMemory(0, received.ReceivedBytes), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Stopping.
        }
        catch (SocketException e)
        {
            _counters.Failed();
            ExposeLog.ListenerFailed(_logger, _spec.ToString(), _address, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Closes the overlay socket and every session and waits for their loops to end.</summary>
    public async Task StopAsync()
    {
        if (_sweeper is not null)
        {
            await _sweeper.DisposeAsync().ConfigureAwait(false);
        }

        _overlay.Dispose();
        var loops = new List<Task>();
        foreach (var session in _sessions.Values)
        {
            session.Close();
            loops.Add(session.Completion);
        }

        _sessions.Clear();
        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private void SweepIdle()
    {
        foreach (var (remote, session) in _sessions)
        {
            if (session.IdleFor >= _options.UdpSessionIdle && _sessions.TryRemove(remote, out _))
            {
                session.Close();
                ExposeLog.UdpSessionIdle(_logger, _spec.ToString(), remote);
            }
        }
    }
}
