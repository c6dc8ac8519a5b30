using System.Globalization;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Tests.Mesh;

/// <summary>
/// PRODUCT.md: grants end "on the node itself, even if the coordinator is unreachable". A dead
/// coordinator must neither take working access away (fail static) nor extend access past its end
/// (fail closed), and the mesh must pick up where it was when the coordinator comes back.
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class CoordinatorOutageTests
{
    private static readonly TimeSpan CutWithin = TimeSpan.FromSeconds(1);

    // Long enough that both connections are open and the coordinator is dead before it ends, even on a slow box.
    private static readonly TimeSpan ShortGrant = TimeSpan.FromSeconds(60);

    [Trait("Category", "Slow")]
    [Fact(Timeout = 420_000)]
    public async Task CoordinatorKilled_OpenFlowsKeepWorking_EndingGrantsStillCut_AndTheMeshRecoversOnRestart()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(400));
        var ct = cts.Token;
        await using var mesh = await OfficeMesh.StartAsync(ct);
        var network = mesh.Network;
        var laptop = network.Host("laptop");
        var ci = network.Host("ci");

        await mesh.Meshctl.GrantAddAsync("laptop", "db:5432/tcp", TimeSpan.FromMinutes(10), ct);
        var ciGrant = await mesh.Meshctl.GrantAddAsync("ci", "db:5432/tcp", ShortGrant, ct);
        foreach (var from in new[] { laptop, ci })
        {
            var (echoed, last, _) = await TcpProbe.WaitForEchoAsync(from, mesh.DbOverlay, OfficeMesh.DbPort, TimeSpan.FromSeconds(30), ct);
            MeshAssert.True(echoed, $"{from.Role} got no echo from db within 30 s of its grant (last: {last})", network);
        }

        var dbView = await mesh.Db.StatusAsync(ct);
        var ciEnd = dbView.Peers.SingleOrDefault(p => p.Name == "ci")?.ValidUntil ?? ciGrant.ExpiresAt;
        ciEnd = ciEnd > ciGrant.ExpiresAt ? ciEnd : ciGrant.ExpiresAt;
        var laptopClient = await EchoClient.ConnectAsync(network, laptop, mesh.DbOverlay, OfficeMesh.DbPort, ct);
        var ciClient = await EchoClient.ConnectAsync(network, ci, mesh.DbOverlay, OfficeMesh.DbPort, ct);

        await mesh.Network.Coordinator.KillAsync(ct);
        var killedAt = DateTimeOffset.UtcNow;
        MeshAssert.True(
            killedAt < ciEnd - TimeSpan.FromSeconds(2),
            $"setup was too slow: the coordinator died at {killedAt:O}, not before ci's grant ends at {ciEnd:O}; raise ShortGrant",
            network);
        var tripsAtKill = laptopClient.RoundTrips;

        var ciCut = await ciClient.WaitForEndAsync(ciEnd - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10), ct);
        MeshAssert.True(ciCut is not null, $"with the coordinator down, ci's connection still worked 10 s after its grant ended at {ciEnd:O} (fail closed)", network);
        MeshAssert.True(ciCut!.Kind is "reset" or "eof", $"ci's connection ended with `{ciCut.Kind}`, expected a reset or EOF", network);
        MeshAssert.True(
            ciCut.At >= ciGrant.ExpiresAt - TimeSpan.FromMilliseconds(250) && ciCut.At <= ciEnd + CutWithin,
            $"with the coordinator down, ci's connection was cut at {ciCut.At:O}; its grant ended at {ciEnd:O} (promise: within {CutWithin.TotalMilliseconds} ms)",
            network);

        MeshAssert.True(
            laptopClient.End is null && laptopClient.RoundTrips > tripsAtKill + 100
                && laptopClient.LastRoundTripAt > DateTimeOffset.UtcNow - TimeSpan.FromSeconds(1),
            $"laptop's connection under a valid grant stopped with the coordinator (fail static): {laptopClient.RoundTrips - tripsAtKill} round trips since the kill, end {laptopClient.End?.Kind}",
            network);

        await mesh.Network.Coordinator.StartAsync(ct);
        var restartedAt = DateTimeOffset.UtcNow;
        var online = await WaitAllOnlineAsync(mesh, TimeSpan.FromSeconds(90), ct);
        MeshAssert.True(online.Ok, $"after the restart not every node came back online within 90 s: {online.Last}", network);
        foreach (var node in new[] { mesh.Db, mesh.Laptop, mesh.Ci! })
        {
            await node.WaitConnectedAsync(ct);
        }

        var reconnected = DateTimeOffset.UtcNow - restartedAt;
        await mesh.Meshctl.GrantAddAsync("ci", "db:5432/tcp", TimeSpan.FromMinutes(5), ct);
        var again = await TcpProbe.WaitForEchoAsync(ci, mesh.DbOverlay, OfficeMesh.DbPort, TimeSpan.FromSeconds(10), ct);
        MeshAssert.True(again.Echoed, $"a grant added after the coordinator's restart did not let ci in within 10 s (last: {again.Last})", network);
        MeshAssert.True(
            laptopClient.End is null,
            $"laptop's connection, whose grant never ended, was cut across the coordinator's restart ({laptopClient.End?.Kind} at {laptopClient.End?.At:O})",
            network);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"ci cut {(ciCut.At - ciEnd).TotalMilliseconds:0} ms after its end with the coordinator down; laptop made {laptopClient.RoundTrips - tripsAtKill} round trips meanwhile; all online {reconnected.TotalSeconds:0.0} s after restart"));
    }

    private static async Task<(bool Ok, string Last)> WaitAllOnlineAsync(OfficeMesh mesh, TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        var last = "(not asked)";
        while (DateTime.UtcNow < deadline)
        {
            var result = await mesh.Meshctl.RunAsync(ct, "nodes", "list", "--json");
            if (result.Succeeded)
            {
                var nodes = MeshJson.Parse<MeshNodeRecord[]>(result.Stdout, "nodes list --json");
                if (nodes.Length == 3 && nodes.All(n => n.Online))
                {
                    return (true, result.Stdout);
                }

                last = result.Stdout;
            }
            else
            {
                last = result.Describe();
            }

            await Task.Delay(500, ct);
        }

        return (false, last);
    }
}
