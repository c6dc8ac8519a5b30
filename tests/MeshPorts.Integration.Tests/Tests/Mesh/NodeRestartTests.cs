using System.Globalization;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Tests.Mesh;

/// <summary>
/// The state dir is the node's identity: a crash (SIGKILL, no cleanup) and a restart on the same
/// state dir is the same node, never a second enrollment.
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class NodeRestartTests
{
    // WireGuard recovers a lost session by a new handshake after Rekey-Timeout (5 s) plus
    // Keepalive-Timeout (10 s) at worst; the rest is room for a loaded box.
    private static readonly TimeSpan TrafficBackWithin = TimeSpan.FromSeconds(45);

    [Fact(Timeout = 300_000)]
    public async Task NodeKilledAndRestartedOnItsStateDir_IsTheSameNode_AndTrafficWorksAgain()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(280));
        var ct = cts.Token;
        await using var mesh = await OfficeMesh.StartAsync(ct, withCi: false);
        var network = mesh.Network;
        var laptop = network.Host("laptop");
        await mesh.Meshctl.GrantAddAsync("laptop", "db:5432/tcp", TimeSpan.FromMinutes(10), ct);
        var first = await TcpProbe.WaitForEchoAsync(laptop, mesh.DbOverlay, OfficeMesh.DbPort, TimeSpan.FromSeconds(30), ct);
        MeshAssert.True(first.Echoed, $"laptop got no echo from db within 30 s of the grant (last: {first.Last})", network);
        var before = (await mesh.Meshctl.NodesListAsync(ct)).Single(n => n.Name == "db");

        await mesh.Db.KillAsync(ct);
        await mesh.Db.StartAsync();
        var restarted = DateTimeOffset.UtcNow;
        var status = await mesh.Db.WaitConnectedAsync(ct);

        var nodes = await mesh.Meshctl.NodesListAsync(ct);
        var dbs = nodes.Where(n => n.Name.StartsWith("db", StringComparison.Ordinal)).ToList();
        MeshAssert.True(
            nodes.Count == 2 && dbs.Count == 1 && dbs[0].Id == before.Id,
            $"after a restart on the same state dir `nodes list` should show db once with id {before.Id}; it shows: {string.Join(", ", nodes.Select(n => $"{n.Name} ({n.Id})"))}",
            network);
        MeshAssert.True(
            status.Name == "db" && status.OverlayIp == before.OverlayIp,
            $"the restarted node is {status.Name} {status.OverlayIp}, expected db {before.OverlayIp}",
            network);

        var again = await TcpProbe.WaitForEchoAsync(laptop, mesh.DbOverlay, OfficeMesh.DbPort, TrafficBackWithin, ct);
        MeshAssert.True(again.Echoed, $"laptop got no echo from the restarted db within {TrafficBackWithin} (last: {again.Last})", network);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"traffic back {(again.At - restarted).TotalSeconds:0.0} s after the restart; public key {(status.PublicKey == before.PublicKey ? "kept" : "changed")}"));
    }
}
