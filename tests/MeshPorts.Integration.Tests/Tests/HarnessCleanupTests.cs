using System.Globalization;
using MeshPorts.Integration.Tests.Harness;

namespace MeshPorts.Integration.Tests.Tests;

/// <summary>
/// The harness must leave nothing behind, or one failed run poisons every later one on the machine.
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class HarnessCleanupTests
{
    [Fact(Timeout = 60_000)]
    public async Task PeerPair_WhenDisposed_RemovesNamespacesDaemonsAndUapiSockets()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        var pair = await PeerPair.CreateAsync(PeerKind.WireGuardGo, PeerKind.WireGuardGo, cts.Token);
        string[] namespaces = [pair.Network.Left.Name, pair.Network.Right.Name];
        string[] sockets = [pair.A.UapiSocket, pair.B.UapiSocket];
        var before = await NamespaceListAsync(cts.Token);
        Assert.All(namespaces, ns => Assert.Contains(ns, before));
        Assert.All(sockets, s => Assert.True(File.Exists(s), $"{s} should exist while the pair runs"));

        await pair.DisposeAsync();

        var after = await NamespaceListAsync(cts.Token);
        Assert.All(namespaces, ns => Assert.DoesNotContain(ns, after));
        Assert.All(sockets, s => Assert.False(File.Exists(s), $"{s} survived disposal"));
        var daemons = await Command.RunAsync(["pgrep", "-f", $"wireguard-go -f {pair.A.InterfaceName}"], cts.Token);
        Assert.True(daemons.Stdout.Trim().Length == 0, $"wireguard-go still running: {daemons.Stdout}");
    }

    [Fact(Timeout = 60_000)]
    public async Task Sweeper_RemovesNamespacesOfDeadRunsAndKeepsLiveOnes()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        // A pid that surely belonged to a process that has ended: one we started and waited for.
        var finished = BackgroundProcess.Start(["true"]);
        await finished.WaitForExitAsync(TimeSpan.FromSeconds(10), cts.Token);
        var deadPid = finished.Pid;
        await finished.DisposeAsync();
        Assert.False(Directory.Exists($"/proc/{deadPid}"), $"pid {deadPid} was reused; rerun");
        var orphan = string.Create(CultureInfo.InvariantCulture, $"{UniqueNames.NamespacePrefix}{deadPid}-dead-z");
        await Command.RunCheckedAsync(["ip", "netns", "add", orphan], cts.Token);
        await using var live = await NetNs.CreateAsync("live", cts.Token);
        try
        {
            await NetNsSweeper.SweepAsync();

            var after = await NamespaceListAsync(cts.Token);
            Assert.DoesNotContain(orphan, after);
            Assert.Contains(live.Name, after);
        }
        finally
        {
            await NetNs.DeleteAsync(orphan);
        }
    }

    [Fact]
    public void MeshportsPeer_WithMissingBinary_FailsNamingTheBuildScript()
    {
        var saved = Environment.GetEnvironmentVariable(MeshportsBinary.EnvironmentVariable);
        Environment.SetEnvironmentVariable(MeshportsBinary.EnvironmentVariable, "/nonexistent/meshports-node");
        try
        {
            var error = Assert.Throws<InvalidOperationException>(MeshportsBinary.Locate);
            Assert.Contains("scripts/build.sh", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(MeshportsBinary.EnvironmentVariable, saved);
        }
    }

    private static async Task<string[]> NamespaceListAsync(CancellationToken ct) =>
        [.. (await Command.RunCheckedAsync(["ip", "netns", "list"], ct))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2)[0])];
}
