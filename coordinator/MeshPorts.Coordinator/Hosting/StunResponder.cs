using System.Net;
using System.Net.Sockets;
using MeshPorts.Contracts.Stun;
using MeshPorts.Coordinator.Collections;
using MeshPorts.Contracts.Relay;
using MeshPorts.Coordinator.Metrics;
using MeshPorts.Relay;

namespace MeshPorts.Coordinator.Hosting;

/// <summary>
/// Answers STUN Binding requests (RFC 5389) on UDP at the coordinator's own listen address and port, so a
/// node learns the address and port its NAT gives it (docs/nat.md). The answer is a fixed 40 bytes for
/// IPv4 and 52 for IPv6 (a request is at least 20), at most 20 a second per source address: a forged
/// source gets little, slowly. Anything that is not a Binding request is dropped and counted; nothing
/// is logged per datagram.
/// </summary>
internal sealed class StunResponder : IAsyncDisposable, IRelayUdpSender
{
    public const int AnswersPerSecondPerSource = 20;

    private const int MaxSources = 4096;

    private readonly Socket _socket;
    private readonly CoordinatorMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly RelayCore? _relay;
    private readonly TokenBuckets _limiter = new(AnswersPerSecondPerSource, AnswersPerSecondPerSource, MaxSources);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private StunResponder(Socket socket, CoordinatorMetrics metrics, TimeProvider time, RelayCore? relay)
    {
        _relay = relay;
        _socket = socket;
        _metrics = metrics;
        _time = time;
        _loop = Task.Run(LoopAsync);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>
    /// Binds UDP at <paramref name="listen"/>; an address in use is an IOException naming the port. With a
    /// <paramref name="relay"/>, UDP relay frames (first byte 0xF2) go to it and leave from this socket.
    /// </summary>
    public static StunResponder Start(IPEndPoint listen, CoordinatorMetrics metrics, TimeProvider time, RelayCore? relay = null)
    {
        ArgumentNullException.ThrowIfNull(listen);
        var socket = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (listen.AddressFamily == AddressFamily.InterNetworkV6 && listen.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(listen);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new IOException($"cannot bind UDP {listen} for STUN ({ex.Message}); the coordinator needs its listen port on UDP too", ex);
        }

        return new StunResponder(socket, metrics, time, relay);
    }

    private async Task LoopAsync()
    {
        // Relay frames carry a whole WireGuard message (up to 65,535 bytes); STUN needs far less.
        var buffer = new byte[ushort.MaxValue + RelayUdpFrame.MaxOverhead];
        var answer = new byte[StunMessage.MaxWrittenSize];
        var transaction = new byte[StunMessage.TransactionIdSize];
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP error for an earlier answer (ConnectionReset on Linux) or a truncated datagram: next one.
                continue;
            }

            var source = (IPEndPoint)received.RemoteEndPoint;
            if (_relay is not null && received.ReceivedBytes > 0 && buffer[0] == RelayUdpFrame.Marker)
            {
                _relay.HandleUdp(buffer.AsSpan(0, received.ReceivedBytes), source, this);
                continue;
            }

            if (!StunMessage.TryReadBindingRequest(buffer.AsSpan(0, received.ReceivedBytes), transaction))
            {
                _metrics.StunDropped(rateLimited: false);
                continue;
            }

            var address = source.Address.IsIPv4MappedToIPv6 ? source.Address.MapToIPv4() : source.Address;
            if (!_limiter.TryTake(address.ToString(), _time.GetUtcNow().ToUnixTimeMilliseconds()))
            {
                _metrics.StunDropped(rateLimited: true);
                continue;
            }

            _metrics.StunAnswered();
            var length = StunMessage.WriteBindingSuccess(answer, transaction, new IPEndPoint(address, source.Port));
            try
            {
                await _socket.SendToAsync(answer.AsMemory(0, length), SocketFlags.None, source, _stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The source is unreachable or we are stopping; nothing to do for a best-effort answer.
            }
        }
    }

    /// <summary>Relay frames out of this socket; best effort, like STUN answers.</summary>
    void IRelayUdpSender.Send(ReadOnlySpan<byte> datagram, IPEndPoint destination)
    {
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, destination);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Unreachable destination, or stopping: the datagram is lost as any UDP datagram may be.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
