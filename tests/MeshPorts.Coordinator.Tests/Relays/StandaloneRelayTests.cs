using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Stun;
using MeshPorts.Coordinator.Tests.Support;
using MeshPorts.RelayHost.Cli;
using MeshPorts.RelayHost.Hosting;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Tests.Relays;

/// <summary>meshports-relay against a real coordinator: joining, being listed to nodes, restarting, refusals.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StandaloneRelayTests
{
    private const string TicketMethod = "/meshports.node.v1.NodeControl/GetRelayTicket";

    private static RelayOptions Options(string dataDir, string? join, int port) => new()
    {
        Join = join,
        DataDir = dataDir,
        Listen = new IPEndPoint(IPAddress.Loopback, port),
        PublicUrl = new Uri($"https://127.0.0.1:{port}"),
    };

    private static Task<RelayServerHost> StartRelayAsync(TestCoordinator c, RelayOptions options, TextWriter? output = null) =>
        RelayServerHost.StartAsync(options, c.Time, output ?? TextWriter.Null, LogLevel.Warning, CancellationToken.None);

    private static string TempDir() => Path.Combine(Path.GetTempPath(), "mp-relay-test-" + Guid.NewGuid().ToString("N"));

    private static async Task<RelayTicketResponse> TicketAsync(TestCoordinator c, TestNode node)
    {
        var request = new RelayTicketRequest();
        request.Auth = await node.SignAsync(request, TicketMethod);
        return await c.Node.GetRelayTicketAsync(request);
    }

    [Fact]
    public async Task ARelayJoinedWithARelayToken_IsListedToNodes_WithItsPinAndUdpEndpoint_AndAnswersStun()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (_, join, _) = await c.CreateTokenAsync("relay-eu", tags: ["relay"]);
        var port = TestCoordinator.FreePort();
        var dataDir = TempDir();
        var output = new StringWriter();
        await using (var relay = await StartRelayAsync(c, Options(dataDir, join, port), output))
        {
            Assert.Contains($"relay relay-eu listening on 127.0.0.1:{port}", output.ToString(), StringComparison.Ordinal);
            using var node = await c.EnrollAsync("laptop");
            var listed = Assert.Single((await TicketAsync(c, node)).Relays, r => r.Id == "relay-eu");
            Assert.Equal($"https://127.0.0.1:{port}", listed.Url);
            Assert.Equal(relay.Pin, listed.Pin);
            Assert.Equal($"127.0.0.1:{port}", listed.UdpEndpoint);

            // STUN on the relay's UDP port: the same port as its TLS listener.
            using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            var transaction = RandomNumberGenerator.GetBytes(StunMessage.TransactionIdSize);
            var request = new byte[StunMessage.MaxWrittenSize];
            await client.SendAsync(request.AsMemory(0, StunMessage.WriteBindingRequest(request, transaction)), new IPEndPoint(IPAddress.Loopback, port));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var answer = await client.ReceiveAsync(timeout.Token);
            var echoed = new byte[StunMessage.TransactionIdSize];
            Assert.True(StunMessage.TryReadBindingSuccess(answer.Buffer, echoed, out var mapped));
            Assert.Equal(transaction, echoed);
            Assert.Equal((IPEndPoint)client.Client.LocalEndPoint!, mapped);
        }

        // The key files are the operator's secrets: owner-only.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dataDir, "machine.key")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dataDir, "relay.json")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dataDir, "tls", "key.pem")));
    }

    [Fact]
    public async Task ARestartedRelay_NeedsNoJoin_AndKeepsItsIdAndPin()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (_, join, _) = await c.CreateTokenAsync("relay-eu", tags: ["relay"]);
        var port = TestCoordinator.FreePort();
        var dataDir = TempDir();
        string pin;
        await using (var first = await StartRelayAsync(c, Options(dataDir, join, port)))
        {
            pin = first.Pin;
        }

        // The token was single-use and is spent: only the data directory can bring the relay back.
        await using var again = await StartRelayAsync(c, Options(dataDir, join: null, port));
        Assert.Equal(pin, again.Pin);
        Assert.Equal("relay-eu", again.Core.RelayId);
        using var node = await c.EnrollAsync("laptop");
        Assert.Equal(pin, Assert.Single((await TicketAsync(c, node)).Relays, r => r.Id == "relay-eu").Pin);
    }

    [Fact]
    public async Task ATokenWithoutTheRelayTag_CannotStartARelay_AndTheErrorNamesTheTag()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (_, join, _) = await c.CreateTokenAsync("sneaky");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => StartRelayAsync(c, Options(TempDir(), join, TestCoordinator.FreePort())));
        Assert.Contains("--tag relay", refused.Message, StringComparison.Ordinal);
        using var node = await c.EnrollAsync("laptop");
        Assert.DoesNotContain((await TicketAsync(c, node)).Relays, r => r.Id == "sneaky");
    }

    [Fact]
    public async Task AFirstStartWithoutJoin_SaysToPassJoin()
    {
        await using var c = await TestCoordinator.StartAsync();
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => StartRelayAsync(c, Options(TempDir(), join: null, TestCoordinator.FreePort())));
        Assert.Contains("--join", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--tag relay", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--listen", "443" }, "--listen 443: expected ADDRESS:PORT")]
    [InlineData(new[] { "--public-url", "http://relay.example:443" }, "expected https://HOST:PORT")]
    [InlineData(new[] { "--udp-endpoint", "relay.example" }, "expected HOST:PORT")]
    [InlineData(new[] { "--relay", "on" }, "unknown option '--relay'")]
    [InlineData(new[] { "--join" }, "--join needs a value")]
    public async Task BadArguments_ExitTwo_AndNameTheFix(string[] args, string expected)
    {
        var error = new StringWriter();
        Assert.Equal(2, await RelayProgram.RunAsync(args, TextWriter.Null, error));
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AJoinStringThatIsNotOne_ExitsTwo_SayingWhatAJoinStringLooksLike()
    {
        var error = new StringWriter();
        Assert.Equal(2, await RelayProgram.RunAsync(["--join", "hello", "--data", TempDir(), "--listen", $"127.0.0.1:{TestCoordinator.FreePort()}"], TextWriter.Null, error));
        Assert.Contains("mpj1_", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_PrintsUsage()
    {
        var output = new StringWriter();
        Assert.Equal(0, await RelayProgram.RunAsync(["--help"], output, TextWriter.Null));
        Assert.Contains("usage: meshports-relay", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("--tag relay", output.ToString(), StringComparison.Ordinal);
    }
}
