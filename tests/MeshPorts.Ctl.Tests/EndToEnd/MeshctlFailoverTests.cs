using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xunit;

namespace MeshPorts.Ctl.Tests.EndToEnd;

/// <summary>
/// The real meshctl with a meshctl.conf listing two replicas, the first a closed port: every command still
/// works through the second, a write happens once, and with no replica up the one error line names both.
/// </summary>
public sealed class MeshctlFailoverTests : IClassFixture<CoordinatorFixture>
{
    private readonly CoordinatorFixture _fx;

    public MeshctlFailoverTests(CoordinatorFixture fx)
    {
        _fx = fx;
    }

    [Fact]
    public async Task FirstReplicaDown_CommandsGoThroughTheSecond_AndAWriteHappensOnce()
    {
        await _fx.StartAsync();
        using var dir = new TempDir();
        var closed = ClosedPort();
        var conf = WithUrls(dir, $"https://127.0.0.1:{closed}, https://127.0.0.1:{_fx.Port}");

        var created = await ProcessRunner.RunAsync(Binaries.Meshctl, ["token", "create", "--name", "failover-a", "--json", "--config", conf]);
        Assert.True(created.ExitCode == 0, $"token create through the second replica: {created}\n{_fx.Log}");
        var id = JsonDocument.Parse(created.Out).RootElement.GetProperty("id").GetString();

        var listed = await ProcessRunner.RunAsync(Binaries.Meshctl, ["token", "list", "--json", "--config", conf]);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var named = JsonDocument.Parse(listed.Out).RootElement.EnumerateArray().Where(t => t.GetProperty("name").GetString() == "failover-a").ToList();
        Assert.Single(named);
        Assert.Equal(id, named[0].GetProperty("id").GetString());

        var verify = await ProcessRunner.RunAsync(Binaries.Meshctl, ["audit", "verify", "--config", conf]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task EveryReplicaDown_OneLineNamingEach_Exit1()
    {
        await _fx.StartAsync();
        using var dir = new TempDir();
        var (a, b) = (ClosedPort(), ClosedPort());
        var conf = WithUrls(dir, $"https://127.0.0.1:{a}, https://127.0.0.1:{b}");

        var result = await ProcessRunner.RunAsync(Binaries.Meshctl, ["nodes", "list", "--config", conf]);

        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.Err.Trim().Split('\n'));
        Assert.Contains("cannot reach any coordinator replica", result.Err, StringComparison.Ordinal);
        Assert.Contains($"https://127.0.0.1:{a}: ", result.Err, StringComparison.Ordinal);
        Assert.Contains($"https://127.0.0.1:{b}: ", result.Err, StringComparison.Ordinal);
    }

    /// <summary>The coordinator's own meshctl.conf with its url line replaced, as an operator would edit it for replicas.</summary>
    private string WithUrls(TempDir dir, string urls)
    {
        var text = File.ReadAllText(_fx.ConfigPath);
        var urlLine = text.Split('\n').Single(l => l.StartsWith("url", StringComparison.Ordinal));
        return dir.File("meshctl.conf", text.Replace(urlLine, "url = " + urls, StringComparison.Ordinal));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
