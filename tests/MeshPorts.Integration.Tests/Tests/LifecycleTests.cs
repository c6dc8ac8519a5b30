using System.Globalization;
using MeshPorts.Integration.Tests.Harness;

namespace MeshPorts.Integration.Tests.Tests;

/// <summary>
/// A drop-in for `wireguard-go IFNAME` must also go away like it: when its interface is deleted and
/// on SIGTERM, taking its UAPI socket with it, or `wg` would talk to a dead socket.
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class LifecycleTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    public static TheoryData<PeerKind> Kinds => new() { PeerKind.WireGuardGo, PeerKind.Meshports };

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Kinds))]
    public async Task Daemon_WhenItsInterfaceIsDeleted_ExitsAndRemovesItsUapiSocket(PeerKind kind)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        await using var network = await TwoHostNetwork.CreateAsync(cts.Token);
        await using var peer = WgPeer.Create(kind, network.Left);
        await peer.StartAsync(cts.Token);

        await network.Left.IpAsync(cts.Token, "link", "del", peer.InterfaceName);

        Assert.True(
            await peer.WaitForDaemonExitAsync(ExitTimeout, cts.Token),
            $"{kind} still runs {ExitTimeout} after `ip link del {peer.InterfaceName}`:\n{peer.DaemonOutput}");
        Assert.False(File.Exists(peer.UapiSocket), $"{kind} left {peer.UapiSocket} behind");
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Kinds))]
    public async Task Daemon_OnSigterm_ExitsAndRemovesInterfaceAndUapiSocket(PeerKind kind)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        await using var network = await TwoHostNetwork.CreateAsync(cts.Token);
        await using var peer = WgPeer.Create(kind, network.Left);
        await peer.StartAsync(cts.Token);

        await Command.RunCheckedAsync(["kill", "-TERM", peer.DaemonPid.ToString(CultureInfo.InvariantCulture)], cts.Token);

        Assert.True(
            await peer.WaitForDaemonExitAsync(ExitTimeout, cts.Token),
            $"{kind} still runs {ExitTimeout} after SIGTERM:\n{peer.DaemonOutput}");
        Assert.False(File.Exists(peer.UapiSocket), $"{kind} left {peer.UapiSocket} behind");
        var link = await network.Left.ExecAsync(["ip", "link", "show", peer.InterfaceName], cts.Token);
        Assert.False(link.Succeeded, $"{peer.InterfaceName} still exists after {kind} exited");
    }
}
