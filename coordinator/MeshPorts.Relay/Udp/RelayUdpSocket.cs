using System.Net;
using System.Net.Sockets;
using MeshPorts.Contracts.Collections;
using MeshPorts.Contracts.Relay;
using MeshPorts.Contracts.Stun;

namespace MeshPorts.Relay.Udp;

/// <summary>
/// The UDP socket of a coordinator or a standalone relay, on the same port as its TLS listener. It answers
/// STUN Binding requests (RFC 5389) with the sender's address, so a node learns the address and port its
/// NAT gives it (docs/nat.md), and hands UDP relay frames (first byte 0xF2) to the relay, whose frames leave
/// from here too. A STUN answer is a fixed 40 bytes for IPv4 and 52 for IPv6 (a request is at least 20), at
/// most 20 a second per source address: a forged source gets little, slowly. Anything else is dropped and
/// counted; nothing is logged per datagram.
/// </summary>
public sealed class RelayUdpSocket : IAsyncDisposable, IRelayUdpSender
{
    public const int AnswersPerSecondPerSource = 20;

    /// <summary>
    /// Bytes asked for the socket's receive and send buffers. One receive loop serves every node, so a
    /// pause of a few milliseconds (a GC, another process on the core) must not overflow the kernel's
    /// default 208 KiB (about 90 full-size frames): 4 MiB holds some 1,800. Linux caps it at
    /// net.core.rmem_max / wmem_max (docs/relay.md says how to raise them).
    /// </summary>
    public const int SocketBufferBytes = 4 * 1024 * 1024;

    private const int MaxSources = 4096;

    private readonly Socket _socket;
    private readonly IStunCounters _counters;
    private readonly TimeProvider _time;
    private readonly RelayCore? _relay;
    private readonly TokenBuckets _limiter = new(AnswersPerSecondPerSource, AnswersPerSecondPerSource, MaxSources);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private RelayUdpSocket(Socket socket, IStunCounters counters, TimeProvider time, RelayCore? relay)
    {
        _socket = socket;
        _counters = counters;
        _time = time;
        _relay = relay;
        _loop = Task.Run(LoopAsync);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>The receive buffer the kernel granted (Linux reports twice what it holds for data, see socket(7)).</summary>
    internal int ReceiveBufferSize => _socket.ReceiveBufferSize;

    /// <summary>
    /// Binds UDP at <paramref name="listen"/>; an address in use is an IOException naming the port. With a
    /// <paramref name="relay"/>, relay frames go to it and its frames leave from this socket
    /// (<see cref="RelayCore.UdpSender"/> is set); without one they are dropped as STUN that does not parse.
    /// </summary>
    public static RelayUdpSocket Start(IPEndPoint listen, IStunCounters counters, TimeProvider time, RelayCore? relay = null)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(time);
        var socket = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (listen.AddressFamily == AddressFamily.InterNetworkV6 && listen.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.ReceiveBufferSize = SocketBufferBytes;
            socket.SendBufferSize = SocketBufferBytes;
            socket.Bind(listen);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new IOException($"cannot bind UDP {listen} for STUN and relay frames ({ex.Message}); the listen port is needed on UDP too", ex);
        }

        var udp = new RelayUdpSocket(socket, counters, time, relay);
        if (relay is not null)
        {
            relay.UdpSender = udp;
        }

        return udp;
    }

    /// <summary>Relay frames out of this socket; best effort, like STUN answers.</summary>
    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint destination)
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
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP error for an earlier answer (ConnectionReset on Linux) or a truncated datagram: next one.
                continue;
            }

            var source = (IPEndPoint)received.RemoteEndPoint;
            var datagram = buffer.AsSpan(0, received.ReceivedBytes);
            if (_relay is not null && !datagram.IsEmpty && datagram[0] == RelayUdpFrame.Marker)
            {
                _relay.HandleUdp(datagram, source, this);
                continue;
            }

            if (!StunMessage.TryReadBindingRequest(datagram, transaction))
            {
                _counters.StunDropped(rateLimited: false);
                continue;
            }

            var address = source.Address.IsIPv4MappedToIPv6 ? source.Address.MapToIPv4() : source.Address;
            if (!_limiter.TryTake(address.ToString(), _time.GetUtcNow().ToUnixTimeMilliseconds()))
            {
                _counters.StunDropped(rateLimited: true);
                continue;
            }

            _counters.StunAnswered();
            var length = StunMessage.WriteBindingSuccess(answer, transaction, new IPEndPoint(address, source.Port));
            Send(answer.AsSpan(0, length), source);
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
