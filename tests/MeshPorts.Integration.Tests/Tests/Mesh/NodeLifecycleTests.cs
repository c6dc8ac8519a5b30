using System.Text.Json;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Tests.Mesh;

/// <summary>
/// What a user sees locally: `status --json` with PRODUCT.md's fields telling the truth, a private
/// state dir, and `down` / SIGTERM leaving no interface or socket behind.
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class NodeLifecycleTests
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 240_000)]
    public async Task StatusJson_HasTheProductFieldsMatchingTheCoordinator_AndTheStateDirIsPrivate()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(220));
        var ct = cts.Token;
        await using var mesh = await OfficeMesh.StartAsync(ct, withCi: false);
        var network = mesh.Network;
        var grant = await mesh.Meshctl.GrantAddAsync("laptop", "db:5432/tcp", TimeSpan.FromMinutes(10), ct);
        var echo = await TcpProbe.WaitForEchoAsync(network.Host("laptop"), mesh.DbOverlay, OfficeMesh.DbPort, TimeSpan.FromSeconds(30), ct);
        MeshAssert.True(echo.Echoed, $"laptop got no echo from db within 30 s of the grant (last: {echo.Last})", network);
        var nodes = await mesh.Meshctl.NodesListAsync(ct);
        var dbRecord = nodes.Single(n => n.Name == "db");
        var laptopRecord = nodes.Single(n => n.Name == "laptop");

        var status = await mesh.Db.StatusAsync(ct);
        using var document = JsonDocument.Parse(status.Json);
        var root = document.RootElement;
        string[] top = ["name", "overlayIp", "publicKey", "keyExpiresAt", "coordinator", "exposed", "peers"];
        var missing = top.Where(f => !root.TryGetProperty(f, out _))
            .Concat(new[] { "url", "connected", "serial" }.Where(f => !root.TryGetProperty("coordinator", out var c) || !c.TryGetProperty(f, out _)).Select(f => "coordinator." + f))
            .ToList();
        var peer = root.TryGetProperty("peers", out var peers) && peers.ValueKind == JsonValueKind.Array && peers.GetArrayLength() > 0 ? peers[0] : default;
        string[] peerFields = ["name", "overlayIp", "publicKey", "endpoint", "latestHandshake", "validUntil", "rxBytes", "txBytes"];
        missing.AddRange(peer.ValueKind == JsonValueKind.Object
            ? peerFields.Where(f => !peer.TryGetProperty(f, out _)).Select(f => "peers[0]." + f)
            : ["peers[0] (no peer while a grant runs)"]);
        MeshAssert.True(missing.Count == 0, $"`status --json` lacks {string.Join(", ", missing)}:\n{status.Json}", network);

        MeshAssert.True(
            status.Name == "db" && status.OverlayIp == dbRecord.OverlayIp && status.PublicKey == dbRecord.PublicKey,
            $"status says {status.Name} {status.OverlayIp} {status.PublicKey}; the coordinator says db {dbRecord.OverlayIp} {dbRecord.PublicKey}",
            network);
        MeshAssert.True(
            status.KeyExpiresAt > DateTimeOffset.UtcNow && status.KeyExpiresAt <= DateTimeOffset.UtcNow + TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1),
            $"keyExpiresAt {status.KeyExpiresAt:O} is not within the 1h key lifetime",
            network);
        MeshAssert.True(
            new Uri(status.Coordinator.Url).Authority == new Uri(network.Coordinator.Url).Authority && status.Coordinator.Connected && status.Coordinator.Serial > 0,
            $"coordinator is {status.Coordinator}, expected {network.Coordinator.Url}, connected, serial > 0",
            network);
        MeshAssert.True(
            status.Exposed.Any(e => e.Port == OfficeMesh.DbPort && e.Protocol == "tcp" && e.Listening),
            $"exposed does not show 5432/tcp listening:\n{status.Json}",
            network);
        var laptopPeer = status.Peers.SingleOrDefault(p => p.Name == "laptop");
        MeshAssert.True(
            laptopPeer is not null
                && laptopPeer.OverlayIp == laptopRecord.OverlayIp
                && laptopPeer.PublicKey == laptopRecord.PublicKey
                && laptopPeer.Endpoint == $"{network.Host("laptop").Underlay}:{MeshNode.ListenPort}"
                && laptopPeer.Path == "direct"
                && laptopPeer.LatestHandshake is not null
                && laptopPeer.RxBytes > 0 && laptopPeer.TxBytes > 0
                && (laptopPeer.ValidUntil - grant.ExpiresAt).Duration() < TimeSpan.FromSeconds(2),
            $"db's peer laptop does not match the coordinator ({laptopRecord.OverlayIp} {laptopRecord.PublicKey}), the traffic that passed, or the grant's end {grant.ExpiresAt:O}:\n{status.Json}",
            network);

        // PRODUCT.md: "The UAPI socket works in `up` mode too (`wg show mp0` lists the live peers)".
        var wg = await mesh.Db.Host.Namespace.ExecAsync(["wg", "show", mesh.Db.InterfaceName, "peers"], ct);
        MeshAssert.True(
            wg.Succeeded && wg.Stdout.Contains(laptopRecord.PublicKey, StringComparison.Ordinal),
            $"`wg show {mesh.Db.InterfaceName} peers` does not list laptop {laptopRecord.PublicKey}: {wg.Describe()}",
            network);

        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Prerequisites let only Linux through");
        }

        var directoryMode = File.GetUnixFileMode(mesh.Db.StateDirectory);
        var files = Directory.GetFiles(mesh.Db.StateDirectory);
        var loose = new List<string>();
        foreach (var file in files)
        {
            var mode = File.GetUnixFileMode(file);
            if ((mode & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) != 0)
            {
                loose.Add($"{Path.GetFileName(file)} {Convert.ToString((int)mode, 8)}");
            }
        }

        MeshAssert.True(
            directoryMode == (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute) && files.Length > 0 && loose.Count == 0,
            $"state dir {mesh.Db.StateDirectory} is {Convert.ToString((int)directoryMode, 8)} (want 700) with {files.Length} files; not 0600: {string.Join(", ", loose)}",
            network);
    }

    [Fact(Timeout = 240_000)]
    public async Task DownAndSigterm_StopTheDaemon_LeavingNoInterfaceAndNoSockets()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(220));
        var ct = cts.Token;
        await using var mesh = await OfficeMesh.StartAsync(ct, withCi: false);
        var network = mesh.Network;
        foreach (var node in new[] { mesh.Db, mesh.Laptop })
        {
            MeshAssert.True(
                File.Exists(node.ControlSocket) && File.Exists(node.UapiSocket),
                $"{node.Name} runs without {node.ControlSocket} or {node.UapiSocket}",
                network);
        }

        var down = await mesh.Db.DownAsync(ct);
        MeshAssert.True(down.Succeeded, $"`down` failed: {down.Describe()}", network);
        await AssertGoneAsync(mesh.Db, "`meshports-node down`", network, ct);

        await mesh.Laptop.SignalAsync("TERM", ct);
        await AssertGoneAsync(mesh.Laptop, "SIGTERM", network, ct);
    }

    private static async Task AssertGoneAsync(MeshNode node, string how, MeshNetwork network, CancellationToken ct)
    {
        var exited = await node.WaitForExitAsync(ExitWithin, ct);
        MeshAssert.True(exited, $"{node.Name} still runs {ExitWithin} after {how}", network);
        var link = await node.Host.Namespace.ExecAsync(["ip", "link", "show", node.InterfaceName], ct);
        MeshAssert.True(!link.Succeeded, $"{node.InterfaceName} still exists after {how}:\n{link.Stdout}", network);
        MeshAssert.True(!File.Exists(node.ControlSocket), $"{node.ControlSocket} left behind after {how}", network);
        MeshAssert.True(!File.Exists(node.UapiSocket), $"{node.UapiSocket} left behind after {how}", network);
    }
}
