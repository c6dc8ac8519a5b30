using System.Net;
using System.Net.Sockets;
using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Tests.Discovery;

/// <summary>
/// The device's WireGuard socket as discovery sees it, over a real loopback UDP socket: sends go out of
/// it, and every datagram that arrives is offered to the STUN sink; what the sink refuses is counted, as
/// the device counts it.
/// </summary>
internal sealed class UdpUnderlay : IUnderlaySender, IDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private int _accepted;
    private int _refused;

    public UdpUnderlay(IPAddress address)
    {
        _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(address, 0));
        LocalEndpoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndpoint { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Exceptions the sink threw (there must be none).</summary>
    public List<Exception> SinkErrors { get; } = [];

    public void Start(IStunSink sink) => _loop = Task.Run(() => ReceiveAsync(sink));

    public bool SendUnderlay(ReadOnlySpan<byte> datagram, in PeerEndpoint destination)
    {
        var target = destination.ToIPEndPoint();
        if (target.AddressFamily != _socket.AddressFamily)
        {
            return false;
        }

        return _socket.SendTo(datagram, SocketFlags.None, target) == datagram.Length;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task ReceiveAsync(IStunSink sink)
    {
        var buffer = new byte[1500];
        var any = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            try
            {
                var source = PeerEndpoint.FromIPEndPoint((IPEndPoint)received.RemoteEndPoint);
                if (sink.TryHandleStun(buffer.AsSpan(0, received.ReceivedBytes), source))
                {
                    Interlocked.Increment(ref _accepted);
                }
                else
                {
                    Interlocked.Increment(ref _refused);
                }
            }
            catch (Exception ex)
            {
                lock (SinkErrors)
                {
                    SinkErrors.Add(ex);
                }
            }
        }
    }
}
