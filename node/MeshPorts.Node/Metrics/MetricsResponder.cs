using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Metrics;

/// <summary>
/// A deliberately small HTTP/1.1 responder for <c>GET /metrics</c> (the node is NativeAOT, so no ASP.NET).
/// One request per connection, always <c>Connection: close</c>. It is bounded so that no client can hold
/// the daemon: the request head is at most <see cref="MetricsResponderOptions.MaxHeadBytes"/> (431
/// beyond), each connection has <see cref="MetricsResponderOptions.ConnectionTimeout"/> in all (then it is
/// closed, with 408 if the head never completed), and past
/// <see cref="MetricsResponderOptions.MaxConnections"/> connections at once new ones are closed unread.
/// Everything runs on the thread pool, off the packet path. The body of a request is never read.
/// </summary>
internal sealed class MetricsResponder : IAsyncDisposable
{
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    private readonly Socket _listener;
    private readonly Func<string> _render;
    private readonly MetricsResponderOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _acceptLoop = Task.CompletedTask;
    private int _active;
    private long _rejected;

    /// <summary>Binds now, so a busy port or foreign address fails <c>up</c> at start (an IOException naming the flag).</summary>
    public MetricsResponder(IPEndPoint endpoint, Func<string> render, ILogger logger, MetricsResponderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _render = render ?? throw new ArgumentNullException(nameof(render));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _options = options ?? new MetricsResponderOptions();
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(endpoint);
            _listener.Listen(64);
        }
        catch (SocketException ex)
        {
            _listener.Dispose();
            throw new IOException($"--metrics-listen {endpoint}: cannot listen ({ex.Message}); give a free port on an address of this host, e.g. {MetricsListenAddress.Example}", ex);
        }
    }

    /// <summary>Where it listens (the real port when bound to port 0).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Connections closed unread because <see cref="MetricsResponderOptions.MaxConnections"/> were busy.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Connections being served now.</summary>
    public int Active => Volatile.Read(ref _active);

    public void Start()
    {
        _acceptLoop = Task.Run(AcceptLoopAsync);
        MetricsLog.Listening(_logger, LocalEndPoint.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopping.
        }

        // _stop is not disposed: a connection accepted just before the cancel may still be linking its
        // deadline to _stop.Token, and a source with no timer holds nothing that needs releasing.
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // A connection reset before it was accepted, or descriptors exhausted: keep serving.
                continue;
            }

            if (Interlocked.Increment(ref _active) > _options.MaxConnections)
            {
                Interlocked.Decrement(ref _active);
                Interlocked.Increment(ref _rejected);
                client.Close(0);
                continue;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var remote = client.RemoteEndPoint?.ToString() ?? "?";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        deadline.CancelAfter(_options.ConnectionTimeout);
        var reason = "answered";
        var headRead = false;
        try
        {
            var head = await ReadHeadAsync(client, deadline.Token).ConfigureAwait(false);
            headRead = true;
            var response = head is null ? Response(431, "Request Header Fields Too Large", "request head over the limit\n") : Answer(head);
            await client.SendAsync(response, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (OperationCanceledException)
        {
            reason = "timed out";
            if (!headRead)
            {
                TrySend(client, Response(408, "Request Timeout", "the request head did not arrive in time\n"));
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            reason = ex.Message;
        }
        finally
        {
            if (reason == "answered")
            {
                // A graceful close: the kernel still delivers what is queued. Close(0) would reset the
                // connection and could throw away the end of the answer on a slow link.
                client.Dispose();
            }
            else
            {
                client.Close(0);
            }

            Interlocked.Decrement(ref _active);
            MetricsLog.ConnectionClosed(_logger, remote, reason);
        }
    }

    // The request head up to the blank line; null when it grows past the limit; throws on timeout.
    private async Task<string?> ReadHeadAsync(Socket client, CancellationToken token)
    {
        var buffer = new byte[_options.MaxHeadBytes];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                return null;
            }

            var read = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, token).ConfigureAwait(false);
            if (read == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            // Search from a little before the new bytes: the blank line may straddle two reads.
            var from = Math.Max(0, length - 3);
            length += read;
            var end = buffer.AsSpan(from, length - from).IndexOf(HeadEnd);
            if (end >= 0)
            {
                return Encoding.Latin1.GetString(buffer, 0, from + end);
            }
        }
    }

    private byte[] Answer(string head)
    {
        var lineEnd = head.IndexOf("\r\n", StringComparison.Ordinal);
        var requestLine = lineEnd < 0 ? head : head[..lineEnd];
        var parts = requestLine.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return Response(400, "Bad Request", "not an HTTP/1.x request line\n");
        }

        var path = parts[1];
        var query = path.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            path = path[..query];
        }

        if (path != "/metrics")
        {
            return Response(404, "Not Found", "only /metrics is served here\n");
        }

        if (parts[0] != "GET")
        {
            return Response(405, "Method Not Allowed", "only GET is allowed\n", "Allow: GET\r\n");
        }

        string body;
        try
        {
            body = _render();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            MetricsLog.RenderFailed(_logger, ex.Message);
            return Response(503, "Service Unavailable", "metrics are not available now\n");
        }

        return Response(200, "OK", body, contentType: PrometheusText.ContentType);
    }

    private static byte[] Response(int status, string phrase, string body, string extraHeaders = "", string contentType = "text/plain; charset=utf-8")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = $"HTTP/1.1 {status} {phrase}\r\nContent-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\n{extraHeaders}Connection: close\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(head), .. bytes];
    }

    private static void TrySend(Socket client, byte[] response)
    {
        try
        {
            // Non-blocking: a client that does not read gets nothing rather than holding the connection.
            client.Blocking = false;
            client.Send(response, SocketFlags.None, out _);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // It is closed next either way.
        }
    }
}
