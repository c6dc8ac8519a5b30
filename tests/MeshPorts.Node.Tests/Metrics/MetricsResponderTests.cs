using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MeshPorts.Node.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Node.Tests.Metrics;

public sealed class MetricsResponderTests
{
    private const string Body = "# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n";

    private static MetricsResponder Start(MetricsResponderOptions? options = null, Func<string>? render = null)
    {
        var responder = new MetricsResponder(new IPEndPoint(IPAddress.Loopback, 0), render ?? (() => Body), NullLogger.Instance, options);
        responder.Start();
        return responder;
    }

    private static async Task<string> ExchangeAsync(IPEndPoint endpoint, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        return await ReadToEndAsync(stream);
    }

    private static async Task<string> ReadToEndAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, timeout.Token)) > 0)
            {
                buffer.Write(chunk, 0, read);
            }
        }
        catch (IOException)
        {
            // Reset by the server after it answered: what was read is the answer.
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    [Fact]
    public async Task Get_Metrics_Answers200WithTheExpositionContentTypeAndCloses()
    {
        await using var responder = Start();

        var answer = await ExchangeAsync(responder.LocalEndPoint, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n", answer, StringComparison.Ordinal);
        Assert.Contains($"Content-Length: {Body.Length}\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", answer, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n" + Body, answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_MetricsWithAQuery_IsStillMetrics()
    {
        await using var responder = Start();

        Assert.StartsWith("HTTP/1.1 200 ", await ExchangeAsync(responder.LocalEndPoint, "GET /metrics?x=1 HTTP/1.0\r\n\r\n"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 404 ")]
    [InlineData("GET /metricsx HTTP/1.1\r\n\r\n", "HTTP/1.1 404 ")]
    [InlineData("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 405 ")]
    [InlineData("HEAD /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 405 ")]
    [InlineData("GARBAGE\r\n\r\n", "HTTP/1.1 400 ")]
    [InlineData("GET /metrics SPDY/3\r\n\r\n", "HTTP/1.1 400 ")]
    public async Task OtherPathsMethodsAndGarbage_AreRefused(string request, string expected)
    {
        await using var responder = Start();

        var answer = await ExchangeAsync(responder.LocalEndPoint, request);

        Assert.StartsWith(expected, answer, StringComparison.Ordinal);
        Assert.DoesNotContain("x_total", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LargeAnswer_ToAClientThatReadsLate_ArrivesWhole()
    {
        var body = new string('x', 2 * 1024 * 1024) + "\n";
        await using var responder = Start(render: () => body);
        using var client = new TcpClient();
        await client.ConnectAsync(responder.LocalEndPoint);
        var stream = client.GetStream();
        await stream.WriteAsync("GET /metrics HTTP/1.1\r\n\r\n"u8.ToArray());

        // The answer outgrows the socket buffers; the responder must not reset what is still queued.
        await Task.Delay(300);
        var answer = await ReadToEndAsync(stream);

        Assert.StartsWith("HTTP/1.1 200 ", answer, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n" + body, answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongMethod_NamesTheAllowedOne()
    {
        await using var responder = Start();

        Assert.Contains("Allow: GET\r\n", await ExchangeAsync(responder.LocalEndPoint, "PUT /metrics HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedHead_Gets431_AndTheRenderIsNeverCalled()
    {
        var rendered = 0;
        await using var responder = Start(new MetricsResponderOptions { MaxHeadBytes = 1024 }, () =>
        {
            Interlocked.Increment(ref rendered);
            return Body;
        });

        var answer = await ExchangeAsync(responder.LocalEndPoint, "GET /metrics HTTP/1.1\r\nX-Big: " + new string('a', 2000) + "\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 431 ", answer, StringComparison.Ordinal);
        Assert.Equal(0, rendered);
    }

    [Fact]
    public async Task HeadSplitAcrossWrites_IsAssembled()
    {
        await using var responder = Start();
        using var client = new TcpClient();
        await client.ConnectAsync(responder.LocalEndPoint);
        var stream = client.GetStream();
        foreach (var part in new[] { "GET /metrics HTTP/1.1\r", "\nHost: x\r\n\r", "\n" })
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(part));
            await stream.FlushAsync();
            await Task.Delay(50);
        }

        Assert.StartsWith("HTTP/1.1 200 ", await ReadToEndAsync(stream), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowClient_IsCutOffAtTheTimeout_AndDoesNotBlockOthers()
    {
        await using var responder = Start(new MetricsResponderOptions { ConnectionTimeout = TimeSpan.FromSeconds(1) });
        using var slow = new TcpClient();
        await slow.ConnectAsync(responder.LocalEndPoint);
        var slowStream = slow.GetStream();
        await slowStream.WriteAsync("GET /metr"u8.ToArray());
        var clock = Stopwatch.StartNew();

        // Served while the slow one dribbles.
        Assert.StartsWith("HTTP/1.1 200 ", await ExchangeAsync(responder.LocalEndPoint, "GET /metrics HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);

        var answer = await ReadToEndAsync(slowStream);
        clock.Stop();

        Assert.StartsWith("HTTP/1.1 408 ", answer, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(5));
        await WaitUntilAsync(() => responder.Active == 0);
    }

    [Fact]
    public async Task PastTheConnectionCap_NewConnectionsAreClosedUnread_AndServiceResumesAfter()
    {
        await using var responder = Start(new MetricsResponderOptions { MaxConnections = 2, ConnectionTimeout = TimeSpan.FromSeconds(3) });
        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var client = new TcpClient();
                await client.ConnectAsync(responder.LocalEndPoint);
                idle.Add(client);
            }

            await WaitUntilAsync(() => responder.Active == 2);

            // Closed with a reset: the connect, the write or the read may be the one that sees it.
            string refused;
            try
            {
                refused = await ExchangeAsync(responder.LocalEndPoint, "GET /metrics HTTP/1.1\r\n\r\n");
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                refused = "";
            }

            Assert.Equal("", refused);
            Assert.True(responder.Rejected >= 1);
        }
        finally
        {
            foreach (var client in idle)
            {
                client.Dispose();
            }
        }

        await WaitUntilAsync(() => responder.Active == 0);
        Assert.StartsWith("HTTP/1.1 200 ", await ExchangeAsync(responder.LocalEndPoint, "GET /metrics HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderThatFails_Answers503_AndTheResponderKeepsServing()
    {
        var fail = true;
        await using var responder = Start(render: () => fail ? throw new InvalidOperationException("shutting down") : Body);

        Assert.StartsWith("HTTP/1.1 503 ", await ExchangeAsync(responder.LocalEndPoint, "GET /metrics HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
        fail = false;
        Assert.StartsWith("HTTP/1.1 200 ", await ExchangeAsync(responder.LocalEndPoint, "GET /metrics HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BusyPort_FailsWithAnErrorNamingTheFlag()
    {
        await using var first = Start();

        var error = Assert.Throws<IOException>(() => new MetricsResponder(first.LocalEndPoint, () => Body, NullLogger.Instance));

        Assert.Contains("--metrics-listen", error.Message, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "condition not reached in 10 s");
            await Task.Delay(20);
        }
    }
}
