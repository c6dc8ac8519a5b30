using System.Net.Sockets;

namespace MeshPorts.Coordinator.Audit.Shipping;

/// <summary>Sends datagrams to a unix socket (journald's, /dev/log); unconnected, so a restarted daemon is found again.</summary>
internal sealed class UnixDatagramSender : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly UnixDomainSocketEndPoint _target;

    public UnixDatagramSender(string path)
    {
        Path = path;
        _target = new UnixDomainSocketEndPoint(path);
    }

    public string Path { get; }

    public async Task SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken) =>
        await _socket.SendToAsync(datagram, SocketFlags.None, _target, cancellationToken);

    public void Dispose() => _socket.Dispose();
}
