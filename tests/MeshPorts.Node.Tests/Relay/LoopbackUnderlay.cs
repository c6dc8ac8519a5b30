using System.Net;
using System.Net.Sockets;
using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Tests.Relay;

/// <summary>The node's WireGuard socket on loopback: sends what the relay client hands it, and gives it every 0xF2 datagram that arrives.</summary>
internal sealed class LoopbackUnderlay : IUnderlaySender, IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _notOurs;

    public LoopbackUnderlay()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public EndPoint LocalEndPoint => _socket.LocalEndPoint!;

    /// <summary>Frames the relay client said came from no relay of ours.</summary>
    public int NotOurs => Volatile.Read(ref _notOurs);

    public void Start(IRelayLink link) => _loop = Task.Run(() => ReceiveAsync(link));

    public bool SendUnderlay(ReadOnlySpan<byte> datagram, in PeerEndpoint destination)
    {
        try
        {
            return _socket.SendTo(datagram, SocketFlags.None, destination.ToIPEndPoint()) == datagram.Length;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        if (_loop is { } loop)
        {
            try
            {
                await loop;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        }

        _stop.Dispose();
    }

    private async Task ReceiveAsync(IRelayLink link)
    {
        var buffer = new byte[70_000];
        while (!_stop.IsCancellationRequested)
        {
            var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            var source = PeerEndpoint.FromIPEndPoint((IPEndPoint)result.RemoteEndPoint);
            if (!link.TryHandleUdpFrame(buffer.AsSpan(0, result.ReceivedBytes), source))
            {
                Interlocked.Increment(ref _notOurs);
            }
        }
    }
}
