using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace MeshPorts.Node.Tests.Expose;

/// <summary>A TCP echo service bound to 127.0.0.1 only, as a database would be; it reports how each connection ended.</summary>
internal sealed class LoopbackTcpEcho : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Channel<string> _ended = Channel.CreateUnbounded<string>();
    private readonly CancellationTokenSource _stop = new();
    private readonly bool _closeOnFin;
    private int _accepted;

    /// <param name="closeOnFin">False keeps a connection open after the client's FIN, as a service still answering a half-closed request would.</param>
    public LoopbackTcpEcho(bool closeOnFin = true)
    {
        _closeOnFin = closeOnFin;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        Port = (ushort)((IPEndPoint)_listener.LocalEndPoint!).Port;
        _ = AcceptLoopAsync();
    }

    public ushort Port { get; }

    /// <summary>The most recently accepted connection, still owned by the service.</summary>
    public Socket? LastConnection { get; private set; }

    /// <summary>Connections the service has accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Waits until a connection ends; returns "fin" for a clean close, "reset" for an RST.</summary>
    public async Task<string> NextEndAsync(TimeSpan within)
    {
        using var cancel = new CancellationTokenSource(within);
        try
        {
            return await _ended.Reader.ReadAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The echo service's connection did not end within {within.TotalMilliseconds} ms.");
            throw;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            LastConnection = connection;
            _ = EchoAsync(connection);
        }
    }

    private async Task EchoAsync(Socket connection)
    {
        using var _ = _closeOnFin ? connection : null;
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var read = await connection.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    _ended.Writer.TryWrite("fin");
                    return;
                }

                await connection.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            _ended.Writer.TryWrite("reset");
        }
        catch (Exception e)
        {
            _ended.Writer.TryWrite("error: " + e.Message);
        }
    }
}
