using System.Globalization;
using MeshPorts.Integration.Tests.Harness;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Tests.Mesh;

/// <summary>
/// PRODUCT.md's idea, end to end: an exposed port is reachable by exactly the granted identity, only
/// over the overlay, only while the grant lasts; at its end open flows are cut on the node.
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class GrantTests
{
    // "Within a few seconds" of `grant add` returning: the product promises no number; this leaves
    // room for a loaded CI box while still catching a node that waits for a poll or a reconnect.
    private static readonly TimeSpan GrantEffectWithin = TimeSpan.FromSeconds(10);

    // PRODUCT.md: "when a grant ends, the peer drops out and open flows are cut".
    private static readonly TimeSpan CutWithin = TimeSpan.FromSeconds(1);

    [Trait("Category", "Slow")]
    [Fact(Timeout = 300_000)]
    public async Task Grant_AdmitsOnlyTheGrantedNodeOverTheOverlay_AndResetsOpenConnectionsAtItsEnd()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(280));
        var ct = cts.Token;
        await using var mesh = await OfficeMesh.StartAsync(ct);
        var network = mesh.Network;
        var laptop = network.Host("laptop");
        var ci = network.Host("ci");
        var db = network.Host("db");
        // Something listening on every address at 22, like sshd: not exposed, so the overlay must not reach it.
        await EchoServer.StartAsync(network, db, 22, ct, bindAddress: "0.0.0.0");

        var beforeGrant = await TcpProbe.ProbeAsync(laptop, mesh.DbOverlay, OfficeMesh.DbPort, TimeSpan.FromSeconds(3), ct);
        MeshAssert.True(!TcpProbe.IsConnected(beforeGrant), $"laptop reached db {mesh.DbOverlay}:5432 before any grant ({beforeGrant})", network);

        var grant = await mesh.Meshctl.GrantAddAsync("laptop", "db:5432/tcp", TimeSpan.FromSeconds(30), ct);
        var granted = DateTimeOffset.UtcNow;
        var (echoed, last, at) = await TcpProbe.WaitForEchoAsync(laptop, mesh.DbOverlay, OfficeMesh.DbPort, GrantEffectWithin, ct);
        MeshAssert.True(echoed, $"laptop got no echo from db {mesh.DbOverlay}:5432 within {GrantEffectWithin} of `grant add` (last: {last})", network);
        var effectDelay = at - granted;

        var fromCi = await TcpProbe.ProbeAsync(ci, mesh.DbOverlay, OfficeMesh.DbPort, TimeSpan.FromSeconds(3), ct);
        MeshAssert.True(!TcpProbe.IsConnected(fromCi), $"ci, which has no grant, reached db {mesh.DbOverlay}:5432 ({fromCi})", network);
        var underlay = await TcpProbe.ProbeAsync(laptop, db.Underlay, OfficeMesh.DbPort, TimeSpan.FromSeconds(3), ct);
        MeshAssert.True(underlay == "refused", $"db's underlay {db.Underlay}:5432 answered `{underlay}`, expected refused: --expose must open nothing on the underlay", network);
        var ssh = await TcpProbe.ProbeAsync(laptop, mesh.DbOverlay, 22, TimeSpan.FromSeconds(3), ct);
        MeshAssert.True(!TcpProbe.IsConnected(ssh), $"laptop reached db {mesh.DbOverlay}:22 over the overlay with a grant for 5432 only ({ssh})", network);

        // The node's own copy of the end is precise; `grant add --json` may round it.
        var dbView = await mesh.Db.StatusAsync(ct);
        var peerEnd = dbView.Peers.SingleOrDefault(p => p.Name == "laptop")?.ValidUntil;
        MeshAssert.True(peerEnd is not null, $"db's status lists no peer laptop while the grant runs:\n{dbView.Json}", network);
        var end = peerEnd!.Value > grant.ExpiresAt ? peerEnd.Value : grant.ExpiresAt;

        var client = await EchoClient.ConnectAsync(network, laptop, mesh.DbOverlay, OfficeMesh.DbPort, ct);
        var clientEnd = await client.WaitForEndAsync(end - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10), ct);
        MeshAssert.True(clientEnd is not null, $"laptop's open connection still worked 10 s after the grant's end {end:O}", network);
        MeshAssert.True(
            clientEnd!.Kind is "reset" or "eof",
            $"laptop's connection ended with `{clientEnd.Kind}` at {clientEnd.At:O}, expected a reset or EOF (a silent drop is not a cut)",
            network);
        MeshAssert.True(
            clientEnd.At >= grant.ExpiresAt - TimeSpan.FromMilliseconds(250),
            $"laptop's connection was cut at {clientEnd.At:O}, before the grant's end {grant.ExpiresAt:O}",
            network);
        MeshAssert.True(
            clientEnd.At <= end + CutWithin,
            $"laptop's connection was cut at {clientEnd.At:O}, {(clientEnd.At - end).TotalMilliseconds:0} ms after the grant's end {end:O} (promise: {CutWithin.TotalMilliseconds} ms)",
            network);
        var serviceEnd = await WaitForServiceEndAsync(mesh.DbService, after: client.StartedAt, ct);
        MeshAssert.True(
            serviceEnd is not null && serviceEnd.At <= end + CutWithin,
            $"the service's end of the cut connection did not end within {CutWithin} of {end:O} (saw {serviceEnd?.Kind} at {serviceEnd?.At:O})",
            network);

        var verify = await mesh.Meshctl.RunAsync(ct, "audit", "verify");
        MeshAssert.True(verify.Succeeded, $"`meshctl audit verify` failed: {verify.Describe()}", network);
        var audit = await mesh.Meshctl.RunAsync(ct, "audit", "--json");
        MeshAssert.True(
            audit.Succeeded && audit.Stdout.Split('\n').Any(line => line.Contains(grant.Id, StringComparison.Ordinal)),
            $"the audit log does not mention grant {grant.Id}: {audit.Describe()}",
            network);

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"before grant: {beforeGrant}; ci: {fromCi}; underlay: {underlay}; overlay :22: {ssh}; grant effective after {effectDelay.TotalMilliseconds:0} ms; cut {(clientEnd.At - end).TotalMilliseconds:0} ms after its end ({clientEnd.Kind}); service end {serviceEnd!.Kind}"));
    }

    [Fact(Timeout = 240_000)]
    public async Task GrantRevoke_ResetsAnOpenConnectionWithinOneSecond()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(220));
        var ct = cts.Token;
        await using var mesh = await OfficeMesh.StartAsync(ct, withCi: false);
        var network = mesh.Network;
        var laptop = network.Host("laptop");
        var grant = await mesh.Meshctl.GrantAddAsync("laptop", "db:5432/tcp", TimeSpan.FromMinutes(10), ct);
        var (echoed, last, _) = await TcpProbe.WaitForEchoAsync(laptop, mesh.DbOverlay, OfficeMesh.DbPort, GrantEffectWithin, ct);
        MeshAssert.True(echoed, $"laptop got no echo from db within {GrantEffectWithin} of `grant add` (last: {last})", network);
        var client = await EchoClient.ConnectAsync(network, laptop, mesh.DbOverlay, OfficeMesh.DbPort, ct);

        await mesh.Meshctl.GrantRevokeAsync(grant.Id, ct);
        var revoked = DateTimeOffset.UtcNow;

        var end = await client.WaitForEndAsync(TimeSpan.FromSeconds(10), ct);
        MeshAssert.True(end is not null, $"laptop's open connection still worked 10 s after `grant revoke` returned at {revoked:O}", network);
        MeshAssert.True(end!.Kind is "reset" or "eof", $"laptop's connection ended with `{end.Kind}`, expected a reset or EOF", network);
        var delay = end.At - revoked;
        MeshAssert.True(
            delay < CutWithin,
            $"laptop's connection was cut {delay.TotalMilliseconds:0} ms after `grant revoke` returned (promise: under {CutWithin.TotalMilliseconds} ms)",
            network);
        var serviceEnd = await WaitForServiceEndAsync(mesh.DbService, after: client.StartedAt, ct);
        MeshAssert.True(
            serviceEnd is not null && serviceEnd.At - revoked < CutWithin,
            $"the service's end did not end within {CutWithin} of the revoke (saw {serviceEnd?.Kind} at {serviceEnd?.At:O})",
            network);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cut {delay.TotalMilliseconds:0} ms after revoke returned ({end.Kind})"));
    }

    /// <summary>The first end the service saw after <paramref name="after"/>, waiting a little for it to be printed.</summary>
    internal static async Task<TcpEnd?> WaitForServiceEndAsync(EchoServer service, DateTimeOffset after, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var end = service.Ends().FirstOrDefault(e => e.At >= after);
            if (end is not null || DateTime.UtcNow > deadline)
            {
                return end;
            }

            await Task.Delay(50, ct);
        }
    }
}
