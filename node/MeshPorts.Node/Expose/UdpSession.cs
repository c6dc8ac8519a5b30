using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace MeshPorts.Node.Expose;

/// <summary>
/// The datagrams of one overlay source: a connected socket to the local service, so the service
/// sees one stable client per peer and its replies find their way back to that peer.
/// </summary>
internal sealed class UdpSession
{
    private const int MaxDatagram = 65_535;

    private readonly Socket _local;
    private readonly Socket _overlay;
    private readonly ExposeCounters _counters;
    private readonly TimeProvider _time;
    private long _lastActive;

    private UdpSession(Socket local, Socket overlay, IPEndPoint remote, ExposeCounters counters, TimeProvider time)
    {
        _local = local;
        _overlay = overlay;
        Remote = remote;
        _counters = counters;
        _time = time;
        _lastActive = time.GetTimestamp();
    }

    public IPEndPoint Remote { get; }

    public Task Completion { get; private set; } = Task.CompletedTask;

    public static UdpSession Open(Socket overlay, IPEndPoint remote, ushort port, ExposeCounters counters, TimeProvider time, CancellationToken cancellationToken)
    {
        var local = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            local.Connect(new IPEndPoint(IPAddress.Loopback, port));
        }
        catch
        {
            local.Dispose();
            throw;
        }

        var session = new UdpSession(local, overlay, remote, counters, time);
        counters.Opened();
        session.Completion = session.ReplyLoopAsync(cancellationToken);
        return session;
    }

    public TimeSpan IdleFor => _time.GetElapsedTime(Interlocked.Read(ref _lastActive));

    public async ValueTask ForwardAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _lastActive, _time.GetTimestamp());
        try
        {
            await _local.SendAsync(datagram, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            _counters.ToService(datagram.Length);
        }
        catch (SocketException)
        {
            // ECONNREFUSED from an earlier ICMP port unreachable: the service is down; UDP just drops.
            _counters.Failed();
        }
    }

    public void Close() => _local.Dispose();

    private async Task ReplyLoopAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        var buffer = ArrayPool<byte>.Shared.Rent(MaxDatagram);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                int read;
                try
                {
                    read = await _local.ReceiveAsync(buffer.AsMemory(0, MaxDatagram), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    // The service is not listening (yet); the socket stays usable for the next datagram.
                    _counters.Failed();
                    continue;
                }

                Interlocked.Exchange(ref _lastActive, _time.GetTimestamp());
                await _overlay.SendToAsync(buffer.AsMemory(0, read), SocketFlags.None, Remote, cancellationToken).ConfigureAwait(false);
                _counters.FromService(read);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Closed by idle sweep or stop, or the overlay socket went away.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _counters.Closed();
        }
    }
}
