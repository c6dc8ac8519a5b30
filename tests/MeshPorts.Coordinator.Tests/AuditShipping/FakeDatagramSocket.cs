using System.Net.Sockets;

namespace MeshPorts.Coordinator.Tests.AuditShipping;

/// <summary>A unix datagram socket bound in a temp directory, standing in for journald's socket or /dev/log.</summary>
internal sealed class FakeDatagramSocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly string _dir;

    public FakeDatagramSocket(string name)
    {
        _dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mp-ship-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dir);
        Path = System.IO.Path.Combine(_dir, name);
        _socket.Bind(new UnixDomainSocketEndPoint(Path));
    }

    public string Path { get; }

    /// <summary>The next datagram, or a failure after <paramref name="timeoutMs"/>.</summary>
    public async Task<byte[]> ReceiveAsync(int timeoutMs = 10_000)
    {
        var buffer = new byte[256 * 1024];
        using var cts = new CancellationTokenSource(timeoutMs);
        try
        {
            var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            return buffer[..n];
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no datagram reached {Path} within {timeoutMs} ms");
            throw;
        }
    }

    /// <summary>Whether anything arrives within <paramref name="ms"/>.</summary>
    public bool Quiet(int ms)
    {
        _socket.ReceiveTimeout = ms;
        try
        {
            _socket.Receive(new byte[256 * 1024]);
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut || ex.SocketErrorCode == SocketError.WouldBlock)
        {
            return true;
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
