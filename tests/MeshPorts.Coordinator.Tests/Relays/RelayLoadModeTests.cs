using System.Net;
using MeshPorts.Coordinator.Tests.Support;
using MeshPorts.LoadTest.Relay;
using MeshPorts.RelayHost.Cli;
using MeshPorts.RelayHost.Hosting;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Tests.Relays;

/// <summary>
/// meshports-loadtest's relay mode (the benchmark behind scripts/bench-nat.sh) against a real coordinator:
/// its simulated nodes enroll, get tickets and deliver every datagram end to end, and its counts agree
/// with the relay's own.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RelayLoadModeTests
{
    private const string ForwardedUdp = "meshports_relay_forwarded_datagrams_total{transport=\"udp\"}";

    private static string Config(TestCoordinator c) => Path.Combine(c.DataDir, "meshctl.conf");

    [Fact]
    public async Task TwoPairs_ThroughTheEmbeddedRelay_DeliverEveryDatagram_OverUdp_AndTheRelayCountsTheSame()
    {
        await using var c = await TestCoordinator.StartAsync();
        var output = new StringWriter();
        var runner = new RelayLoadRunner(RelayLoadOptions.Create(Config(c), pairs: 2, rate: 50, seconds: 1, relayId: "coordinator"), output);

        var exit = await runner.RunAsync(CancellationToken.None);

        Assert.Equal(0, exit);
        Assert.Collection(
            runner.Results,
            direct => Assert.False(direct.ViaRelay),
            relay => Assert.True(relay.ViaRelay));
        foreach (var step in runner.Results)
        {
            // 4 nodes, each 50 datagrams in the one second.
            Assert.Equal(200, step.Sent);
            Assert.Equal(step.Sent, step.Received);
            Assert.Equal(200L * 1452, step.Bytes);
            Assert.Equal(0, step.Rejected);
            Assert.True(step.P50Ms > 0 && step.P99Ms >= step.P50Ms, $"p50 {step.P50Ms} p99 {step.P99Ms}");
        }

        var relayed = runner.Results[1];
        Assert.Equal(0, relayed.OverTls);
        Assert.Equal(relayed.Received, (long)relayed.Counter(ForwardedUdp));
        Assert.Equal(200, await MetricsReader.ReadAsync(c, ForwardedUdp));
        Assert.Contains("through relay 'coordinator'", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("dropped none", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStandaloneRelay_IsPickedById_AndItsProcessIsMeasured()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (_, join, _) = await c.CreateTokenAsync("relay-bench", tags: ["relay"]);
        var port = TestCoordinator.FreePort();
        var dataDir = Path.Combine(Path.GetTempPath(), "mp-relay-load-" + Guid.NewGuid().ToString("N"));
        var relayOptions = new RelayOptions
        {
            Join = join,
            DataDir = dataDir,
            Listen = new IPEndPoint(IPAddress.Loopback, port),
            PublicUrl = new Uri($"https://127.0.0.1:{port}"),
        };
        try
        {
            await using var relay = await RelayServerHost.StartAsync(relayOptions, c.Time, TextWriter.Null, LogLevel.Warning, CancellationToken.None);

            // The relay is in this process here, so its CPU and RSS are this process's.
            var runner = new RelayLoadRunner(RelayLoadOptions.Create(Config(c), pairs: 1, rate: 20, seconds: 1, relayId: "relay-bench", relayPid: Environment.ProcessId), TextWriter.Null);
            Assert.Equal(0, await runner.RunAsync(CancellationToken.None));
            var relayed = Assert.Single(runner.Results, r => r.ViaRelay);
            Assert.Equal(40, relayed.Received);
            Assert.Equal(40, relayed.Counter(ForwardedUdp));
            Assert.NotNull(relayed.RelayProcess);
            Assert.True(relayed.RelayProcess.Value.RssKiB > 0);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task ARelayIdTheTicketDoesNotList_IsRefused_NamingTheListedOnes()
    {
        await using var c = await TestCoordinator.StartAsync();
        var runner = new RelayLoadRunner(RelayLoadOptions.Create(Config(c), pairs: 1, rate: 10, seconds: 1, relayId: "nowhere"), TextWriter.Null);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => runner.RunAsync(CancellationToken.None));

        Assert.Contains("relay 'nowhere' is not in the ticket's relay list (coordinator)", error.Message, StringComparison.Ordinal);
        Assert.Contains("--relay-id", error.Message, StringComparison.Ordinal);
    }
}
