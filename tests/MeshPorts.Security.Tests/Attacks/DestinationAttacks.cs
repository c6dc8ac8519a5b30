using MeshPorts.Integration.Tests.Harness;
using MeshPorts.Integration.Tests.Harness.Mesh;
using MeshPorts.Security.Tests.Support;

namespace MeshPorts.Security.Tests.Attacks;

/// <summary>
/// Attacks on db's inbound filter by a peer that holds a grant to db:5432/tcp and runs a stock WireGuard
/// (wireguard-go) with laptop's own key, allowed IPs 0.0.0.0/0 and ::/0, and routes of its choosing:
/// it sends to db's LAN address, to a docker0-like bridge address and to a network db routes to, all on
/// the granted port. Only db's overlay address may answer; every other destination must be dropped by
/// db's node and counted as notForThisNode.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class DestinationAttacks
{
    private const int Port = OfficeMesh.DbPort;
    private const string AttackerMark = "0x5151";
    private const string AttackerTable = "5151";
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    [Trait("Category", "Slow")]
    [Fact(Timeout = 300_000)]
    public async Task GrantedPeer_WithWideAllowedIps_ReachesOnlyTheOverlayAddress()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(280));
        var ct = cts.Token;
        await using var mesh = await OfficeMesh.StartAsync(ct, withCi: false);
        var network = mesh.Network;
        var db = network.Host("db");
        var laptop = network.Host("laptop");
        await using var targets = await DestinationTargets.CreateAsync(network, db, Port, ct);

        // The listeners are there: the LAN address answers on the LAN, the other two inside db.
        var lanHost = new MeshHost("lan", network.Lan, MeshNetwork.LanAddress);
        MeshAssert.True(await ProbeAsync(lanHost, db.Underlay, ct) == "echoed", $"nothing answers on db's LAN address {db.Underlay}:{Port}", network);
        MeshAssert.True(await ProbeAsync(db, DestinationTargets.Bridge, ct) == "echoed", $"nothing answers on db's bridge {DestinationTargets.Bridge}:{Port}", network);
        MeshAssert.True(await ProbeAsync(db, DestinationTargets.Behind, ct) == "echoed", $"nothing answers behind db at {DestinationTargets.Behind}:{Port}", network);

        await mesh.Meshctl.GrantAddAsync("laptop", $"db:{Port}/tcp", TimeSpan.FromMinutes(10), ct);
        var (echoed, last, _) = await TcpProbe.WaitForEchoAsync(laptop, mesh.DbOverlay, Port, Within, ct);
        MeshAssert.True(echoed, $"laptop's own node got no echo from db {mesh.DbOverlay}:{Port} under the grant (last: {last})", network);
        var laptopOverlay = (await mesh.Laptop.StatusAsync(ct)).OverlayIp;
        var dbStatus = await mesh.Db.StatusAsync(ct);

        // The attacker: laptop's node stops, a stock wireguard-go takes its key, port and address.
        var down = await mesh.Laptop.DownAsync(ct);
        MeshAssert.True(down.Succeeded && await mesh.Laptop.WaitForExitAsync(TimeSpan.FromSeconds(30), ct), $"laptop's node did not go down: {down.Describe()}", network);
        var rxBefore = (await mesh.Db.StatusAsync(ct)).Peers.SingleOrDefault(p => p.Name == "laptop")?.RxBytes ?? 0;
        var privateKey = (await File.ReadAllTextAsync(Path.Combine(mesh.Laptop.StateDirectory, "wireguard.key"), ct)).Trim();
        await using var attacker = WgPeer.Create(PeerKind.WireGuardGo, laptop.Namespace);
        await attacker.StartAsync(ct);
        await laptop.Namespace.ExecCheckedAsync(["wg", "set", attacker.InterfaceName, "private-key", "/dev/stdin"], ct, stdin: privateKey + "\n");
        await attacker.SetAsync(
            ct,
            "listen-port", MeshNode.ListenPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "fwmark", AttackerMark,
            "peer", dbStatus.PublicKey, "endpoint", $"{db.Underlay}:{MeshNode.ListenPort}", "allowed-ips", "0.0.0.0/0,::/0",
            "persistent-keepalive", "1");
        await attacker.AddAddressAsync(laptopOverlay + "/32", ct);

        // wg-quick's trick: everything not sent by wireguard-go itself looks up the tunnel's table first,
        // so even db's LAN address goes through the tunnel while the handshakes still go over the LAN.
        await laptop.Namespace.IpAsync(ct, "rule", "add", "not", "fwmark", AttackerMark, "table", AttackerTable, "priority", "100");
        foreach (var target in new[] { mesh.DbOverlay, db.Underlay, DestinationTargets.Bridge, DestinationTargets.Behind })
        {
            await laptop.Namespace.IpAsync(ct, "route", "add", target + "/32", "dev", attacker.InterfaceName, "src", laptopOverlay, "table", AttackerTable);
        }

        // The tunnel is up once db has taken a handshake from the stolen key. (db's answers may not come
        // back: a stock wireguard-go answers none of db's path probes, so db moves that peer to the relay 5 s
        // after laptop's real node went down. What matters is what reaches db, and the drops below count it:
        // only packets that decrypted under laptop's key can be counted notForThisNode.)
        var handshaken = false;
        for (var i = 0; i < 30 && !handshaken; i++)
        {
            await ProbeAsync(laptop, mesh.DbOverlay, ct);
            var view = (await mesh.Db.StatusAsync(ct)).Peers.SingleOrDefault(p => p.Name == "laptop");
            handshaken = view?.RxBytes > rxBefore;
        }

        MeshAssert.True(handshaken, $"wireguard-go with laptop's key got nothing decrypted by db; the attack setup is wrong:\n{await attacker.DescribeAsync(ct)}", network);

        var before = DestinationTargets.NotForThisNode(await mesh.Db.StatusAsync(ct));
        foreach (var (what, address) in new[] { ("db's LAN address", db.Underlay), ("db's bridge address", DestinationTargets.Bridge), ("the network behind db", DestinationTargets.Behind) })
        {
            var outcome = await ProbeAsync(laptop, address, ct);
            MeshAssert.True(!TcpProbe.IsConnected(outcome), $"a peer granted db:{Port} reached {what} {address}:{Port} through the tunnel ({outcome})", network);
        }

        var after = await mesh.Db.StatusAsync(ct);
        MeshAssert.True(
            DestinationTargets.NotForThisNode(after) >= before + 3,
            $"db's drops.notForThisNode went from {before} to {DestinationTargets.NotForThisNode(after)}, expected at least 3 more:\n{after.Json}",
            network);

        // Nothing changed on db: the granted peer is still its only peer. (Whether db still answers the stolen
        // key is not the point here: a stock wireguard-go answers none of db's path probes, so db moves that
        // peer to the relay 5 s after laptop's real node went down, and the relay has no session for it. The
        // attack packets above reached db over UDP whatever db's path to laptop was: the drops prove it.)
        MeshAssert.True(after.Peers.Count == 1 && after.Peers[0].Name == "laptop", $"db's peers changed during the attack:\n{after.Json}", network);
    }

    private static Task<string> ProbeAsync(MeshHost from, string address, CancellationToken ct) =>
        TcpProbe.ProbeAsync(from, address, Port, ProbeTimeout, ct);
}
