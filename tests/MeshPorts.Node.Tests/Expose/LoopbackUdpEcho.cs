using System.Net;
using System.Net.Sockets;

namespace MeshPorts.Node.Tests.Expose;

/// <summary>A UDP echo service bound to 127.0.0.1 only; it counts the distinct clients it has seen.</summary>
internal sealed class LoopbackUdpEcho : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly HashSet<EndPoint> _clients = [];

    public LoopbackUdpEcho()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = (ushort)((IPEndPoint)_socket.LocalEndPoint!).Port;
        _ = EchoLoopAsync();
    }

    public ushort Port { get; }

    public int Clients
    {
        get
        {
            lock (_clients)
            {
                return _clients.Count;
            }
        }
    }

    public void Dispose() => _socket.Dispose();

    private async Task EchoLoopAsync()
    {
        var buffer = new byte[65535];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            try
            {
                var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any);
                lock (_clients)
                {
                    _clients.Add(received.RemoteEndPoint);
                }

                await _socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, received.RemoteEndPoint);
            }
            catch (Exception)
            {
                return;
            }
        }
    }
}
