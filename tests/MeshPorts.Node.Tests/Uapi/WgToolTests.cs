using System.Diagnostics;
using System.Net;
using MeshPorts.Node.Routing;
using MeshPorts.Node.Uapi;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace MeshPorts.Node.Tests.Uapi;

/// <summary>
/// Drives the real wg(8) against <see cref="UapiServer"/> on /var/run/wireguard/mputXXXXXX.sock,
/// which is where wg looks for userspace interfaces. Needs wireguard-tools and root (as CI has).
/// </summary>
public sealed class WgToolTests : IAsyncLifetime
{
    private readonly string _name = "mput" + Guid.NewGuid().ToString("N")[..8];
    private readonly FakeUapiDevice _device = new();
    private readonly List<UapiServer> _servers = [];
    private readonly List<string> _files = [];

    public Task InitializeAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("wg(8) talks to userspace devices over unix sockets; these tests run on Linux.");
        }

        var wg = FindWg();
        Assert.True(wg is not null, "wg(8) is not installed: run `apt-get install wireguard-tools` (these tests must not be skipped).");
        Assert.True(Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root",
            "these tests create /var/run/wireguard/<name>.sock and must run as root (as CI does).");
        var server = new UapiServer(UapiServer.DefaultSocketPath(_name), _device, NullLogger.Instance);
        _servers.Add(server);
        server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        foreach (var file in _files)
        {
            File.Delete(file);
        }

        Assert.False(File.Exists(UapiServer.DefaultSocketPath(_name)), "the UAPI socket was left behind");
    }

    [Fact]
    public void WgShowDump_PrintsTheDeviceAsWireguardGoWould()
    {
        var privateKey = WgKey.GeneratePrivate();
        var peerKey = WgKey.GeneratePrivate().PublicFromPrivate();
        _device.Current = new UapiDeviceSnapshot
        {
            PrivateKey = privateKey,
            ListenPort = 51820,
            Fwmark = 0x33,
            Peers =
            [
                new UapiPeerSnapshot
                {
                    PublicKey = peerKey,
                    Endpoint = PeerEndpoint.FromIPEndPoint(IPEndPoint.Parse("127.0.0.1:51821")),
                    LastHandshake = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
                    RxBytes = 10,
                    TxBytes = 20,
                    PersistentKeepaliveInterval = 25,
                    AllowedIps = [IpPrefix.Parse("10.0.0.0/24"), IpPrefix.Parse("fd00::/64")],
                },
            ],
        };

        var (code, stdout, stderr) = RunWg("show", _name, "dump");
        Assert.True(code == 0, $"wg show failed ({code}): {stderr}");
        var lines = stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);

        // wg derives the public key itself, so this also cross-checks our X25519 against its own.
        Assert.Equal($"{privateKey.ToBase64()}\t{privateKey.PublicFromPrivate().ToBase64()}\t51820\t0x33", lines[0]);
        Assert.Equal($"{peerKey.ToBase64()}\t(none)\t127.0.0.1:51821\t10.0.0.0/24,fd00::/64\t1700000000\t10\t20\t25", lines[1]);
    }

    [Fact]
    public void WgSetPeer_SendsExactlyThatPeer()
    {
        var peerKey = WgKey.GeneratePrivate().PublicFromPrivate();
        var (code, _, stderr) = RunWg("set", _name, "peer", peerKey.ToBase64(),
            "allowed-ips", "10.0.0.0/24", "endpoint", "127.0.0.1:51820", "persistent-keepalive", "25");
        Assert.True(code == 0, $"wg set failed ({code}): {stderr}");

        var request = Assert.Single(_device.Applied);
        Assert.Null(request.PrivateKey);
        Assert.Null(request.ListenPort);
        Assert.Null(request.Fwmark);
        Assert.False(request.ReplacePeers);
        var peer = Assert.Single(request.Peers);
        Assert.Equal(peerKey, peer.PublicKey);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:51820"), peer.Endpoint!.Value.ToIPEndPoint());
        Assert.Equal((ushort)25, peer.PersistentKeepaliveInterval);
        Assert.True(peer.ReplaceAllowedIps);
        Assert.Equal([IpPrefix.Parse("10.0.0.0/24")], peer.AllowedIps);
        Assert.Null(peer.PresharedKey);
        Assert.False(peer.Remove);
        Assert.False(peer.UpdateOnly);
    }

    [Fact]
    public void WgSetRemove_RemovesThePeer()
    {
        var peerKey = WgKey.GeneratePrivate().PublicFromPrivate();
        var (code, _, stderr) = RunWg("set", _name, "peer", peerKey.ToBase64(), "remove");
        Assert.True(code == 0, $"wg set failed ({code}): {stderr}");
        var peer = Assert.Single(Assert.Single(_device.Applied).Peers);
        Assert.Equal(peerKey, peer.PublicKey);
        Assert.True(peer.Remove);
    }

    [Fact]
    public void WgSetconf_ReplacesTheWholeConfiguration()
    {
        var privateKey = WgKey.GeneratePrivate();
        var peer1 = WgKey.GeneratePrivate().PublicFromPrivate();
        var peer2 = WgKey.GeneratePrivate().PublicFromPrivate();
        var psk = WgKey.GeneratePrivate();
        var config = Path.Combine(Path.GetTempPath(), _name + ".conf");
        _files.Add(config);
        File.WriteAllText(config, $"""
            [Interface]
            PrivateKey = {privateKey.ToBase64()}
            ListenPort = 51999
            FwMark = 0x10

            [Peer]
            PublicKey = {peer1.ToBase64()}
            PresharedKey = {psk.ToBase64()}
            AllowedIPs = 10.1.0.0/16, fd01::/64
            Endpoint = [::1]:4000
            PersistentKeepalive = 10

            [Peer]
            PublicKey = {peer2.ToBase64()}
            AllowedIPs = 10.2.0.1/32

            """);

        var (code, _, stderr) = RunWg("setconf", _name, config);
        Assert.True(code == 0, $"wg setconf failed ({code}): {stderr}");
        var request = Assert.Single(_device.Applied);
        Assert.Equal(privateKey, request.PrivateKey);
        Assert.Equal((ushort)51999, request.ListenPort);
        Assert.Equal(0x10u, request.Fwmark);
        Assert.True(request.ReplacePeers);
        Assert.Equal(2, request.Peers.Count);

        var first = request.Peers[0];
        Assert.Equal(peer1, first.PublicKey);
        Assert.Equal(psk, first.PresharedKey);
        Assert.Equal(IPEndPoint.Parse("[::1]:4000"), first.Endpoint!.Value.ToIPEndPoint());
        Assert.Equal((ushort)10, first.PersistentKeepaliveInterval);
        Assert.True(first.ReplaceAllowedIps);
        Assert.Equal([IpPrefix.Parse("10.1.0.0/16"), IpPrefix.Parse("fd01::/64")], first.AllowedIps);

        var second = request.Peers[1];
        Assert.Equal(peer2, second.PublicKey);
        Assert.Null(second.Endpoint);
        Assert.True(second.ReplaceAllowedIps);
        Assert.Equal([IpPrefix.Parse("10.2.0.1/32")], second.AllowedIps);
    }

    [Fact]
    public void WgSet_WhenTheDeviceRefuses_ReportsTheErrno()
    {
        _device.ApplyResult = UapiErrno.AddressInUse;
        var (code, _, stderr) = RunWg("set", _name, "listen-port", "53");
        Assert.NotEqual(0, code);

        // Proves the negated errno on the wire: wg negates it back into a message strerror knows.
        Assert.Contains("Address already in use", stderr, StringComparison.Ordinal);
    }

    private static string? FindWg()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            var candidate = Path.Combine(dir, "wg");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static (int ExitCode, string Stdout, string Stderr) RunWg(params string[] args)
    {
        var start = new ProcessStartInfo(FindWg()!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(15_000))
        {
            process.Kill();
            Assert.Fail($"wg {string.Join(' ', args)} did not finish within 15 s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
