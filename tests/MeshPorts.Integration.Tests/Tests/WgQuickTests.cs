using System.Globalization;
using System.Runtime.Versioning;
using MeshPorts.Integration.Tests.Harness;

namespace MeshPorts.Integration.Tests.Tests;

/// <summary>
/// wg-quick runs a userspace implementation as "$WG_QUICK_USERSPACE_IMPLEMENTATION IFNAME" when the
/// kernel has no WireGuard, waits for it to return, then configures the interface with wg and ip.
/// meshports-node must fit that slot exactly as wireguard-go does, and go away on `wg-quick down`.
/// </summary>
[Collection(NetNsCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class WgQuickTests
{
    [Fact(Timeout = 120_000)]
    public async Task WgQuickUpAndDown_WithMeshportsAsUserspaceImplementation_WorksAgainstWireGuardGo()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        var node = MeshportsBinary.Locate();
        await using var network = await TwoHostNetwork.CreateAsync(cts.Token);
        var work = Directory.CreateTempSubdirectory("mpit-wgquick-");
        try
        {
            var ours = await WgKeyPair.GenerateAsync(cts.Token);
            var theirs = await WgKeyPair.GenerateAsync(cts.Token);

            // The far end: stock wireguard-go configured with wg.
            await using var remote = WgPeer.Create(PeerKind.WireGuardGo, network.Right);
            await remote.StartAsync(cts.Token);
            await remote.SetPrivateKeyAsync(theirs, cts.Token);
            await remote.SetAsync(cts.Token, "listen-port", "51821", "peer", ours.PublicKey, "allowed-ips", "100.96.0.1/32");
            await remote.AddAddressAsync("100.96.0.2/24", cts.Token);

            // Our end, brought up by wg-quick from a config file.
            var ifname = UniqueNames.Interface();
            var wrapper = Path.Combine(work.FullName, "meshports-wg");
            await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec '{node}' wg \"$@\"\n", cts.Token);
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
            var config = Path.Combine(work.FullName, ifname + ".conf");
            await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"""
                [Interface]
                PrivateKey = {ours.PrivateKey}
                Address = 100.96.0.1/24
                ListenPort = 51820

                [Peer]
                PublicKey = {theirs.PublicKey}
                AllowedIPs = 100.96.0.2/32
                Endpoint = {TwoHostNetwork.RightUnderlay}:51821
                PersistentKeepalive = 1

                """), cts.Token);
            File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var env = new[] { "env", "WG_QUICK_USERSPACE_IMPLEMENTATION=" + wrapper, "WG_ENDPOINT_RESOLUTION_RETRIES=1" };

            var up = await network.Left.ExecAsync([.. env, "wg-quick", "up", config], cts.Token, TimeSpan.FromSeconds(40));
            Assert.True(up.Succeeded, "wg-quick up failed (or did not return):\n" + up.Describe());

            var ping = await network.Left.ExecAsync(["ping", "-c", "5", "-i", "0.2", "-W", "2", "100.96.0.2"], cts.Token);
            Assert.True(ping.Succeeded, "ping through the wg-quick interface failed:\n" + ping.Describe() + "\n" + await remote.DescribeAsync(cts.Token));
            var show = await network.Left.ExecCheckedAsync(["wg", "show", ifname, "latest-handshakes"], cts.Token);
            Assert.Contains(theirs.PublicKey, show, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"\s0\s*$", show);

            var down = await network.Left.ExecAsync([.. env, "wg-quick", "down", config], cts.Token, TimeSpan.FromSeconds(30));
            Assert.True(down.Succeeded, "wg-quick down failed:\n" + down.Describe());

            // `wg-quick down` deletes the link; the daemon must notice and leave nothing behind.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (File.Exists($"/var/run/wireguard/{ifname}.sock") && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cts.Token);
            }

            Assert.False(File.Exists($"/var/run/wireguard/{ifname}.sock"), $"the UAPI socket of {ifname} outlived wg-quick down");
            var link = await network.Left.ExecAsync(["ip", "link", "show", ifname], cts.Token);
            Assert.False(link.Succeeded, $"{ifname} still exists after wg-quick down");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
