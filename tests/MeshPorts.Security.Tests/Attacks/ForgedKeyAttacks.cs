using System.Globalization;
using MeshPorts.Integration.Tests.Harness;
using MeshPorts.Integration.Tests.Harness.Mesh;
using MeshPorts.Security.Tests.Support;

namespace MeshPorts.Security.Tests.Attacks;

/// <summary>
/// A peer's forged key: someone on the underlay runs a stock wireguard-go with a key of its own (no node's),
/// claims laptop's overlay address, and tries to reach db's granted port while laptop really holds the grant.
/// db's engine must refuse every handshake from a key that is not in its netmap, count it (unknownPeer),
/// and keep serving the real laptop.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class ForgedKeyAttacks
{
    private const int Port = OfficeMesh.DbPort;
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    [Trait("Category", "Slow")]
    [Fact(Timeout = 240_000)]
    public async Task APeer_WithAKeyNoNodeHolds_GetsNoHandshakeAndReachesNothing()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(220));
        var ct = cts.Token;
        await using var mesh = await OfficeMesh.StartAsync(ct, withCi: true);
        var network = mesh.Network;
        var db = network.Host("db");
        var laptop = network.Host("laptop");
        await mesh.Meshctl.GrantAddAsync("laptop", $"db:{Port}/tcp", TimeSpan.FromMinutes(10), ct);
        var (echoed, last, _) = await TcpProbe.WaitForEchoAsync(laptop, mesh.DbOverlay, Port, Within, ct);
        MeshAssert.True(echoed, $"laptop got no echo from db {mesh.DbOverlay}:{Port} under the grant (last: {last})", network);
        var laptopOverlay = (await mesh.Laptop.StatusAsync(ct)).OverlayIp;
        var dbBefore = await mesh.Db.StatusAsync(ct);
        var unknownBefore = DestinationTargets.Drop(dbBefore, "unknownPeer");

        // The forger is another machine on the LAN: ci's, with ci's node stopped and a key of its own.
        var forgerHost = network.Host("ci");
        var ciDown = await mesh.Ci!.DownAsync(ct);
        MeshAssert.True(ciDown.Succeeded && await mesh.Ci.WaitForExitAsync(TimeSpan.FromSeconds(30), ct), $"ci's node did not go down: {ciDown.Describe()}", network);
        var forgerKey = await WgKeyPair.GenerateAsync(ct);
        await using var forger = WgPeer.Create(PeerKind.WireGuardGo, forgerHost.Namespace);
        await forger.StartAsync(ct);
        await forgerHost.Namespace.ExecCheckedAsync(["wg", "set", forger.InterfaceName, "private-key", "/dev/stdin"], ct, stdin: forgerKey.PrivateKey + "\n");
        await forger.SetAsync(
            ct,
            "listen-port", "51999",
            "peer", dbBefore.PublicKey, "endpoint", string.Create(CultureInfo.InvariantCulture, $"{db.Underlay}:{MeshNode.ListenPort}"),
            "allowed-ips", mesh.DbOverlay + "/32", "persistent-keepalive", "1");
        await forger.AddAddressAsync(laptopOverlay + "/32", ct);
        await forgerHost.Namespace.IpAsync(ct, "route", "add", mesh.DbOverlay + "/32", "dev", forger.InterfaceName, "src", laptopOverlay);

        var outcome = await TcpProbe.ProbeAsync(forgerHost, mesh.DbOverlay, Port, TimeSpan.FromSeconds(8), ct);
        MeshAssert.True(!TcpProbe.IsConnected(outcome), $"a forged key reached db {mesh.DbOverlay}:{Port} ({outcome})", network);
        var dump = await forger.ShowDumpAsync(ct);
        MeshAssert.True(dump.Peers.All(p => p.LatestHandshake == 0), $"db completed a handshake with a key no node holds:\n{await forger.DescribeAsync(ct)}", network);

        var dbAfter = await mesh.Db.StatusAsync(ct);
        var unknownAfter = DestinationTargets.Drop(dbAfter, "unknownPeer");
        MeshAssert.True(unknownAfter > unknownBefore, $"db's drops.unknownPeer stayed at {unknownBefore} while a forged key sent it handshakes:\n{dbAfter.Json}", network);

        // Nothing changed: db still has exactly laptop as a peer, and the real laptop still gets in.
        MeshAssert.True(dbAfter.Peers.Count == 1 && dbAfter.Peers[0].Name == "laptop", $"db's peers changed during the attack:\n{dbAfter.Json}", network);
        var (stillEchoed, stillLast, _) = await TcpProbe.WaitForEchoAsync(laptop, mesh.DbOverlay, Port, Within, ct);
        MeshAssert.True(stillEchoed, $"the real laptop lost db {mesh.DbOverlay}:{Port} after the attack (last: {stillLast})", network);
    }
}
