using MeshPorts.Integration.Tests.Harness.Mesh;
using MeshPorts.Integration.Tests.Harness.Nat;

namespace MeshPorts.Integration.Tests.Tests.Nat;

/// <summary>
/// Today's product through the NAT lab, where it already works without discovery: the coordinator on
/// the internet, db behind a NAT whose router forwards UDP 51820 to it (db's `--endpoint` is the
/// router's public address), laptop behind another NAT of either kind. Laptop dials db's forwarded
/// port; db answers the NAT's mapping it learned from laptop's handshake. Hole punching and the relay
/// are tested when the node has them (README: "NAT lab").
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class NatMeshTests
{
    private const int DbPort = 5432;
    private const int TransferBytes = 4 * 1024 * 1024;

    [Fact(Timeout = 240_000)]
    public Task LaptopBehindPortPreservingNat_DbBehindAPortForward_TcpTransferOverTheMeshArrivesIntact() =>
        TransferAsync(NatKind.PortPreserving);

    [Fact(Timeout = 240_000)]
    public Task LaptopBehindSymmetricNat_DbBehindAPortForward_TcpTransferOverTheMeshArrivesIntact() =>
        TransferAsync(NatKind.Symmetric);

    private static async Task TransferAsync(NatKind laptopNat)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(220));
        var ct = cts.Token;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var mesh = await NatMesh.StartAsync(ct);
        var dbSite = await mesh.Lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);
        var laptopSite = await mesh.Lab.AddSiteAsync(laptopNat, hosts: 1, ct);
        var dbHost = dbSite.Hosts[0];
        var laptopHost = laptopSite.Hosts[0];
        await dbSite.AddPortForwardAsync(PortForward.Udp(MeshNode.ListenPort, dbHost, MeshNode.ListenPort), ct);
        await HashedTransfer.StartSinkAsync(mesh, dbHost, "127.0.0.1", DbPort, ct);

        var db = await mesh.StartNodeAsync(dbHost, "db", dbSite.PublicAddress, ct, tags: ["prod"], expose: ["5432/tcp"]);
        var laptop = await mesh.StartNodeAsync(laptopHost, "laptop", laptopSite.PublicAddress, ct, user: "alice");
        var dbStatus = await db.WaitConnectedAsync(ct);
        await laptop.WaitConnectedAsync(ct);
        var connected = clock.Elapsed;
        await mesh.Meshctl.GrantAddAsync("laptop", "db:5432/tcp", TimeSpan.FromMinutes(10), ct);
        var granted = clock.Elapsed;

        var outcome = await HashedTransfer.SendUntilOkAsync(laptopHost, dbStatus.OverlayIp, DbPort, TransferBytes, TimeSpan.FromSeconds(60), ct);
        Assert.True(outcome.StartsWith("ok ", StringComparison.Ordinal), $"laptop's {TransferBytes} bytes to db over the mesh: {outcome}\n{await mesh.LogsAsync(ct)}");

        // The tunnel really crossed both NATs: db's router forwarded laptop's datagrams to db, and db
        // talks to laptop's NAT, not to laptop's private address.
        var forwarded = await dbSite.MappingsAsync(ct);
        Assert.True(
            forwarded.Any(m => m.Protocol == "udp" && m.Source == laptopSite.PublicAddress && m.Destination == dbSite.PublicAddress
                && m.DestinationPort == MeshNode.ListenPort && m.ReplySource == dbHost.LanAddress),
            $"no forwarded WireGuard flow from {laptopSite.PublicAddress} in db's router:\n{await mesh.LogsAsync(ct)}");
        var dbView = (await db.StatusAsync(ct)).Peers.SingleOrDefault(p => p.Name == "laptop");
        Assert.True(
            dbView?.Endpoint?.StartsWith(laptopSite.PublicAddress + ":", StringComparison.Ordinal) == true,
            $"db should reach laptop at its NAT {laptopSite.PublicAddress}, status says {dbView?.Endpoint ?? "(no laptop peer)"}\n{await mesh.LogsAsync(ct)}");
        Console.WriteLine(string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"laptop behind {laptopNat}: {outcome}; db sees laptop at {dbView?.Endpoint}; both nodes connected at {connected.TotalSeconds:0.0} s, granted at {granted.TotalSeconds:0.0} s, done at {clock.Elapsed.TotalSeconds:0.0} s"));
    }
}
