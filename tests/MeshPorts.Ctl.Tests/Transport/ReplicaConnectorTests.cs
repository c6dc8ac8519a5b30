using System.Net;
using System.Net.Sockets;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Transport;
using Xunit;

namespace MeshPorts.Ctl.Tests.Transport;

/// <summary>meshctl's connection failover on loopback: closed ports, a listener, and a listener too full to answer.</summary>
public sealed class ReplicaConnectorTests
{
    [Fact]
    public async Task FirstClosed_ConnectsToTheSecond()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var open = ((IPEndPoint)listener.LocalEndpoint).Port;

        await using var stream = await ReplicaConnector.ConnectAsync([Url(ClosedPort()), Url(open)], TimeSpan.FromSeconds(3), CancellationToken.None);
        using var accepted = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(accepted.Connected);
    }

    [Fact]
    public async Task EveryReplicaClosed_NamesEachWithItsReason()
    {
        var (a, b) = (ClosedPort(), ClosedPort());

        var ex = await Assert.ThrowsAsync<ReplicasUnreachableException>(
            async () => await ReplicaConnector.ConnectAsync([Url(a), Url(b)], TimeSpan.FromSeconds(3), CancellationToken.None));

        Assert.Equal(2, ex.Failures.Count);
        Assert.StartsWith($"https://127.0.0.1:{a}: ", ex.Failures[0], StringComparison.Ordinal);
        Assert.StartsWith($"https://127.0.0.1:{b}: ", ex.Failures[1], StringComparison.Ordinal);
        Assert.Contains("refused", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ReplicaThatDoesNotAnswer_IsLeftAfterTheTimeout()
    {
        // A listener with a full accept queue drops new SYNs (Linux), so a connect to it hangs like a dead host's.
        using var stuck = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        stuck.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        stuck.Listen(0);
        var stuckPort = ((IPEndPoint)stuck.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                _ = filler.ConnectAsync(IPAddress.Loopback, stuckPort);
            }

            await Task.Delay(200);
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var open = ((IPEndPoint)listener.LocalEndpoint).Port;
            var started = DateTime.UtcNow;

            await using var stream = await ReplicaConnector.ConnectAsync([Url(stuckPort), Url(open)], TimeSpan.FromMilliseconds(500), CancellationToken.None);
            var took = DateTime.UtcNow - started;

            using var accepted = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(5));
            Assert.True(took >= TimeSpan.FromMilliseconds(400), $"the stuck replica answered after {took.TotalMilliseconds:0} ms: its accept queue was not full, so this test proved nothing");
            Assert.True(took < TimeSpan.FromSeconds(3), $"failover took {took.TotalSeconds:0.0} s with a 0.5 s connect timeout");
        }
        finally
        {
            foreach (var filler in fillers)
            {
                filler.Dispose();
            }
        }
    }

    [Fact]
    public void Describe_AllReplicasDown_OneLineNamingEach()
    {
        var inner = new HttpRequestException("connect failed", new ReplicasUnreachableException(["https://a:1: Connection refused", "https://b:2: no answer within 3 s"]));
        var ex = new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable, "Error starting gRPC call.", inner));

        var line = RpcErrors.Describe(ex);

        Assert.Contains("cannot reach any coordinator replica (https://a:1: Connection refused; https://b:2: no answer within 3 s)", line, StringComparison.Ordinal);
        Assert.Contains("url list in meshctl.conf", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    private static Uri Url(int port) => new($"https://127.0.0.1:{port}");

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
