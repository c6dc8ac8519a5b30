using System.Globalization;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Tests.Mesh;

/// <summary>
/// PRODUCT.md: node keys rotate "make-before-break, no packet lost", also when ops ask with
/// `meshctl keys rotate --all`. Traffic runs across the rotation and must not notice it.
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class KeyRotationTests
{
    // 20 pings a second for 60 s: the rotation (which may wait up to --rotation-wait, 30 s, for
    // peers to learn the new key) happens well inside the run.
    private const int PingCount = 1200;
    private const double PingInterval = 0.05;
    private const int TransferSeconds = 45;

    // The run is under way before ops ask for the rotation.
    private static readonly TimeSpan RotateAfter = TimeSpan.FromSeconds(3);

    [Trait("Category", "Slow")]
    [Fact(Timeout = 300_000)]
    public async Task KeysRotateAll_UnderPingsAt20PerSecond_LosesNoPacket()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(280));
        var ct = cts.Token;
        await using var mesh = await OfficeMesh.StartAsync(ct, withCi: false);
        var network = mesh.Network;
        var laptop = network.Host("laptop");
        // Any live grant from laptop admits its echo requests (the filter lets ICMP echo follow a grant).
        await mesh.Meshctl.GrantAddAsync("laptop", "db:5432/tcp", TimeSpan.FromMinutes(10), ct);
        var echo = await TcpProbe.WaitForEchoAsync(laptop, mesh.DbOverlay, OfficeMesh.DbPort, TimeSpan.FromSeconds(30), ct);
        MeshAssert.True(echo.Echoed, $"laptop got no echo from db within 30 s of the grant (last: {echo.Last})", network);
        var keysBefore = await PublicKeysAsync(mesh, ct);

        var pinging = MeshPing.RunAsync(laptop, mesh.DbOverlay, PingCount, PingInterval, ct);
        await Task.Delay(RotateAfter, ct);
        var rotate = await mesh.Meshctl.RunAsync(ct, "keys", "rotate", "--all", "--json");
        var run = await pinging;
        var keysAfter = await PublicKeysAsync(mesh, ct);

        MeshAssert.True(rotate.Succeeded, $"`keys rotate --all` failed: {rotate.Describe()}", network);
        MeshAssert.True(
            keysAfter.Db != keysBefore.Db && keysAfter.Laptop != keysBefore.Laptop,
            $"the keys did not change during the {PingCount * PingInterval} s ping run (db {keysBefore.Db} -> {keysAfter.Db}, laptop {keysBefore.Laptop} -> {keysAfter.Laptop})",
            network);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rotation under ping: {run.Lost} of {run.Transmitted} lost; late or lost:\n{MeshPing.Gaps(run)}"));
        MeshAssert.True(
            run.Transmitted == PingCount && run.Lost == 0,
            $"lost {run.Lost} of {run.Transmitted} pings across `keys rotate --all` (promise: none); late or lost replies (Unix time):\n{MeshPing.Gaps(run)}",
            network);
    }

    [Trait("Category", "Slow")]
    [Fact(Timeout = 300_000)]
    public async Task KeysRotateAll_UnderATcpTransfer_TheTransferCompletesWithoutAStall()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(280));
        var ct = cts.Token;
        await using var mesh = await OfficeMesh.StartAsync(ct, withCi: false, extraExpose: ["5201/tcp"]);
        var network = mesh.Network;
        var laptop = network.Host("laptop");
        Iperf3Run.StartServer(network, network.Host("db"));
        await mesh.Meshctl.GrantAddAsync("laptop", "db:5201/tcp", TimeSpan.FromMinutes(10), ct);
        // The same grant path as 5201, probed on the echo service so iperf3 never sees a stray connection.
        await mesh.Meshctl.GrantAddAsync("laptop", "db:5432/tcp", TimeSpan.FromMinutes(10), ct);
        var echo = await TcpProbe.WaitForEchoAsync(laptop, mesh.DbOverlay, OfficeMesh.DbPort, TimeSpan.FromSeconds(30), ct);
        MeshAssert.True(echo.Echoed, $"laptop got no echo from db within 30 s of the grant (last: {echo.Last})", network);
        var keysBefore = await PublicKeysAsync(mesh, ct);

        var transfer = Iperf3Run.RunClientAsync(laptop, mesh.DbOverlay, TransferSeconds, ct);
        await Task.Delay(RotateAfter, ct);
        var rotate = await mesh.Meshctl.RunAsync(ct, "keys", "rotate", "--all", "--json");
        var run = await transfer;
        var keysAfter = await PublicKeysAsync(mesh, ct);

        MeshAssert.True(rotate.Succeeded, $"`keys rotate --all` failed: {rotate.Describe()}", network);
        MeshAssert.True(
            keysAfter.Db != keysBefore.Db && keysAfter.Laptop != keysBefore.Laptop,
            $"the keys did not change during the {TransferSeconds} s transfer",
            network);
        var perSecond = string.Join(" ", run.IntervalBytes.Select(b => (b / 1024).ToString(CultureInfo.InvariantCulture)));
        Console.WriteLine($"rotation under iperf3: KiB per second {perSecond}; error {run.Error ?? "none"}");
        MeshAssert.True(run.Succeeded && run.ReceivedBytes > 0, $"the iperf3 transfer did not complete: {run.Error}\n{run.Output[..Math.Min(run.Output.Length, 4000)]}", network);
        MeshAssert.True(
            run.IntervalBytes.Count >= TransferSeconds && run.IntervalBytes.All(b => b > 0),
            $"a 1-s interval carried nothing across `keys rotate --all` (KiB per second: {perSecond})",
            network);
    }

    private static async Task<(string Db, string Laptop)> PublicKeysAsync(OfficeMesh mesh, CancellationToken ct) =>
        ((await mesh.Db.StatusAsync(ct)).PublicKey, (await mesh.Laptop.StatusAsync(ct)).PublicKey);
}
