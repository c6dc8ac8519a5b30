using MeshPorts.Integration.Tests.Harness.Mesh;
using MeshPorts.Integration.Tests.Harness.Nat;

namespace MeshPorts.Integration.Tests.Tests.Nat;

/// <summary>
/// The NAT lab's simplest meshes: the coordinator on the internet, db behind a NAT whose router forwards
/// UDP 51820 to it (db's `--endpoint` is the router's public address), laptop behind another NAT of either
/// kind. Either side may send first, since both learn the other's reported endpoints; the flow crosses db's
/// router either way. Hole punching between two NATs and the relay are NatPathTests.
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

        // The tunnel really crossed both NATs: db's router carries a flow between db's LAN address and laptop's NAT.
        // Whoever sent first made it: laptop's datagrams through the port forward, or (behind a port-preserving NAT,
        // whose mapping db can reach) db's own datagrams out of the forwarded port, which laptop's then answer.
        var flows = await dbSite.MappingsAsync(ct);
        Assert.True(
            flows.Any(m => m.Protocol == "udp" && (IsForwardedIn(m) || IsSentOut(m))),
            $"no WireGuard flow between db ({dbHost.LanAddress}) and laptop's NAT {laptopSite.PublicAddress} in db's router:\n{await mesh.LogsAsync(ct)}");
        if (laptopNat == NatKind.Symmetric)
        {
            // A symmetric NAT's port for db is unknown until laptop sends, so only laptop can have opened the flow.
            Assert.True(flows.Any(IsForwardedIn), $"laptop behind a symmetric NAT reached db other than through the port forward:\n{await mesh.LogsAsync(ct)}");
        }

        var dbView = (await db.StatusAsync(ct)).Peers.SingleOrDefault(p => p.Name == "laptop");
        Assert.True(
            dbView?.Endpoint?.StartsWith(laptopSite.PublicAddress + ":", StringComparison.Ordinal) == true,
            $"db should reach laptop at its NAT {laptopSite.PublicAddress}, status says {dbView?.Endpoint ?? "(no laptop peer)"}\n{await mesh.LogsAsync(ct)}");
        Console.WriteLine(string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"laptop behind {laptopNat}: {outcome}; db sees laptop at {dbView?.Endpoint}; both nodes connected at {connected.TotalSeconds:0.0} s, granted at {granted.TotalSeconds:0.0} s, done at {clock.Elapsed.TotalSeconds:0.0} s"));

        bool IsForwardedIn(ConntrackEntry m) =>
            m.Source == laptopSite.PublicAddress && m.Destination == dbSite.PublicAddress && m.DestinationPort == MeshNode.ListenPort
            && m.ReplySource == dbHost.LanAddress;

        bool IsSentOut(ConntrackEntry m) =>
            m.Source == dbHost.LanAddress && m.SourcePort == MeshNode.ListenPort && m.Destination == laptopSite.PublicAddress
            && m.ReplyDestination == dbSite.PublicAddress && m.ReplyDestinationPort == MeshNode.ListenPort;
    }
}
