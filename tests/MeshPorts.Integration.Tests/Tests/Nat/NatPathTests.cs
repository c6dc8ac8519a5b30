using System.Diagnostics;
using System.Globalization;
using MeshPorts.Integration.Tests.Harness.Mesh;
using MeshPorts.Integration.Tests.Harness.Nat;

namespace MeshPorts.Integration.Tests.Tests.Nat;

/// <summary>
/// Issue 12 as users meet it: nodes behind NATs with no port forward and no `--endpoint`, so discovery
/// (STUN to the coordinator, endpoint reports), probes, hole punching and the coordinator's embedded
/// relay are what connect them. Each test shares one lab across several checks (setup is ~35 s).
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class NatPathTests
{
    private const int SinkPort = 5432;
    private const int EchoPort = 7000;
    private const int TransferBytes = 1024 * 1024;

    [Fact(Timeout = 320_000)]
    public async Task PortPreservingNats_PunchDirect_UdpBlockedFallsBackToTlsRelay_OpenTcpSurvives_ThenDirectAgain_AndAFlushRecovers()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(300));
        var ct = cts.Token;
        await using var mesh = await NatMesh.StartAsync(ct);
        var dbSite = await mesh.Lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);
        var laptopSite = await mesh.Lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);
        var (db, laptop, dbIp) = await StartPairAsync(mesh, dbSite.Hosts[0], laptopSite.Hosts[0], ct);
        var laptopHost = laptopSite.Hosts[0].AsMeshHost("");

        // 1. Punched: the first packet, then both sides direct at the other's NAT address.
        var clock = Stopwatch.StartNew();
        await mesh.Meshctl.GrantAddAsync("laptop", $"db:{EchoPort}/tcp", TimeSpan.FromMinutes(10), ct);
        var granted = clock.Elapsed;
        var first = await TcpProbe.WaitForEchoAsync(laptopHost, dbIp, EchoPort, TimeSpan.FromSeconds(30), ct);
        Assert.True(first.Echoed, $"no echo from db after the grant: {first.Last}\n{await mesh.LogsAsync(ct)}");
        var firstPacket = clock.Elapsed;
        var (laptopView, laptopDirect) = await WaitPeerAsync(laptop, "db", p => IsDirectAt(p, dbSite), TimeSpan.FromSeconds(20), clock, ct);
        var (dbView, dbDirect) = await WaitPeerAsync(db, "laptop", p => IsDirectAt(p, laptopSite), TimeSpan.FromSeconds(20), clock, ct);
        Assert.True(IsDirectAt(laptopView, dbSite), $"laptop should reach db directly at {dbSite.PublicAddress}: {Describe(laptopView)}\n{await mesh.LogsAsync(ct)}");
        Assert.True(IsDirectAt(dbView, laptopSite), $"db should reach laptop directly at {laptopSite.PublicAddress}: {Describe(dbView)}\n{await mesh.LogsAsync(ct)}");
        var direct = Max(laptopDirect, dbDirect);
        Assert.True(direct - granted < TimeSpan.FromSeconds(15), $"direct only {(direct - granted).TotalSeconds:0.0} s after the grant\n{await mesh.LogsAsync(ct)}");

        await mesh.Meshctl.GrantAddAsync("laptop", $"db:{SinkPort}/tcp", TimeSpan.FromMinutes(10), ct);
        var transfer = await HashedTransfer.SendUntilOkAsync(laptopSite.Hosts[0], dbIp, SinkPort, TransferBytes, TimeSpan.FromSeconds(30), ct);
        Assert.True(transfer.StartsWith("ok ", StringComparison.Ordinal), $"direct transfer: {transfer}\n{await mesh.LogsAsync(ct)}");

        // 2. UDP blocked at laptop's NAT under an open connection: relay over TLS, the connection lives on.
        var echo = await EchoClient.ConnectAsync(
            (label, argv) => mesh.StartService(label, laptopHost.Namespace, argv), () => "", laptopHost, dbIp, EchoPort, ct, silence: TimeSpan.FromSeconds(30));
        var blockedAt = clock.Elapsed;
        await laptopSite.BlockUdpAsync(true, ct);
        // The direct path goes after 5 s without a pong; the relay's UDP session after 5 s without a keepalive
        // answer (keepalives every 2 s), and the relay answers on TLS as soon as laptop sends on it (docs/nat.md).
        var (firstRelayView, firstRelay) = await WaitPeerAsync(laptop, "db", p => p is { Path: "relay" }, TimeSpan.FromSeconds(20), clock, ct);
        Assert.True(firstRelayView is { Path: "relay" }, $"laptop should fall back to the relay: {Describe(firstRelayView)}\n{await mesh.LogsAsync(ct)}");
        var (relayView, relayed) = await WaitPeerAsync(laptop, "db", p => p is { Path: "relay", Transport: "tls" }, TimeSpan.FromSeconds(20), clock, ct);
        Assert.True(relayView is { Path: "relay", Transport: "tls" }, $"laptop should fall back to the relay over TLS: {Describe(relayView)}\n{await mesh.LogsAsync(ct)}");
        var roundTripsAtRelay = echo.RoundTrips;
        await WaitRoundTripsAsync(echo, roundTripsAtRelay + 20, TimeSpan.FromSeconds(60), ct);
        Assert.True(echo.End is null && echo.RoundTrips >= roundTripsAtRelay + 20, $"the open connection over the relay: {echo.Output}\n{await mesh.LogsAsync(ct)}");
        Assert.True(relayed - blockedAt < TimeSpan.FromSeconds(15), $"relay over TLS only {(relayed - blockedAt).TotalSeconds:0.0} s after the block\n{await mesh.LogsAsync(ct)}");
        var relayedTransfer = await HashedTransfer.SendUntilOkAsync(laptopSite.Hosts[0], dbIp, SinkPort, TransferBytes, TimeSpan.FromSeconds(30), ct);
        Assert.True(relayedTransfer.StartsWith("ok ", StringComparison.Ordinal), $"relayed transfer: {relayedTransfer}\n{await mesh.LogsAsync(ct)}");
        var counted = await laptop.StatusAsync(ct);
        var relayedPeer = counted.Peers.Single(p => p.Name == "db");
        Assert.True(relayedPeer.RelayedTxBytes > TransferBytes && relayedPeer.RelayedRxBytes > 0, $"relayed bytes not counted: {counted.Json}");

        // Unblocked: back to direct, the same connection still echoing.
        var unblockedAt = clock.Elapsed;
        await laptopSite.BlockUdpAsync(false, ct);
        var (againView, again) = await WaitPeerAsync(laptop, "db", p => IsDirectAt(p, dbSite), TimeSpan.FromSeconds(60), clock, ct);
        Assert.True(IsDirectAt(againView, dbSite), $"laptop should return to direct after the unblock: {Describe(againView)}\n{await mesh.LogsAsync(ct)}");
        var roundTripsAtDirect = echo.RoundTrips;
        await WaitRoundTripsAsync(echo, roundTripsAtDirect + 20, TimeSpan.FromSeconds(30), ct);
        Assert.True(echo.End is null, $"the open connection after the return to direct: {echo.Output}\n{await mesh.LogsAsync(ct)}");

        // 4. The NAT forgets every mapping during traffic: the connection recovers within seconds.
        var roundTripsAtFlush = echo.RoundTrips;
        var flushedAt = clock.Elapsed;
        await laptopSite.FlushMappingsAsync(ct);
        await WaitRoundTripsAsync(echo, roundTripsAtFlush + 20, TimeSpan.FromSeconds(30), ct);
        var recovered = clock.Elapsed;
        Assert.True(echo.End is null && echo.RoundTrips >= roundTripsAtFlush + 20, $"the open connection after the flush: {echo.Output}\n{await mesh.LogsAsync(ct)}");
        var afterFlush = (await laptop.StatusAsync(ct)).Peers.Single(p => p.Name == "db");

        Console.WriteLine(Invariant(
            $"punch: first packet {(firstPacket - granted).TotalSeconds:0.0} s after the grant, direct {(direct - granted).TotalSeconds:0.0} s (laptop {Describe(laptopView)}; db {Describe(dbView)}); transfer {transfer}"));
        Console.WriteLine(Invariant(
            $"udp blocked: relay {(firstRelay - blockedAt).TotalSeconds:0.0} s, relay over tls {(relayed - blockedAt).TotalSeconds:0.0} s after the block ({Describe(relayView)}); relayed transfer {relayedTransfer}; unblocked: direct again {(again - unblockedAt).TotalSeconds:0.0} s later"));
        Console.WriteLine(Invariant(
            $"flush: 20 round trips {(recovered - flushedAt).TotalSeconds:0.0} s after conntrack -F, path then {Describe(afterFlush)}; {echo.RoundTrips} round trips in all, longest stall {LongestStall(echo.Output).TotalSeconds:0.0} s"));
    }

    [Fact(Timeout = 240_000)]
    public async Task OneSideSymmetric_StillConnects_ByRelayOrPunch_TransferIntact()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(220));
        var ct = cts.Token;
        await using var mesh = await NatMesh.StartAsync(ct);
        var dbSite = await mesh.Lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);
        var laptopSite = await mesh.Lab.AddSiteAsync(NatKind.Symmetric, hosts: 1, ct);
        var (db, laptop, dbIp) = await StartPairAsync(mesh, dbSite.Hosts[0], laptopSite.Hosts[0], ct);

        var clock = Stopwatch.StartNew();
        await mesh.Meshctl.GrantAddAsync("laptop", $"db:{SinkPort}/tcp", TimeSpan.FromMinutes(10), ct);
        var granted = clock.Elapsed;
        var transfer = await HashedTransfer.SendUntilOkAsync(laptopSite.Hosts[0], dbIp, SinkPort, 4 * TransferBytes, TimeSpan.FromSeconds(60), ct);
        var done = clock.Elapsed;
        Assert.True(transfer.StartsWith("ok ", StringComparison.Ordinal), $"laptop behind a symmetric NAT to db: {transfer}\n{await mesh.LogsAsync(ct)}");

        // Give the path manager its probing time, then report where it settled; either path is a pass.
        var (laptopView, _) = await WaitPeerAsync(laptop, "db", p => p is { Path: "direct" }, TimeSpan.FromSeconds(15), clock, ct);
        var dbView = (await db.StatusAsync(ct)).Peers.SingleOrDefault(p => p.Name == "laptop");
        Assert.True(laptopView?.Path is "direct" or "relay", $"laptop's path to db: {Describe(laptopView)}\n{await mesh.LogsAsync(ct)}");
        Assert.True(dbView?.Path is "direct" or "relay", $"db's path to laptop: {Describe(dbView)}\n{await mesh.LogsAsync(ct)}");
        Console.WriteLine(Invariant(
            $"symmetric laptop: transfer {transfer} done {(done - granted).TotalSeconds:0.0} s after the grant; laptop sees db: {Describe(laptopView)}; db sees laptop: {Describe(dbView)}"));
    }

    [Fact(Timeout = 240_000)]
    public async Task OverTheRelay_GrantRevokeCutsTheOpenFlow_AndANodeWithoutAGrantGetsNothingThrough()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(220));
        var ct = cts.Token;
        await using var mesh = await NatMesh.StartAsync(ct);
        var dbSite = await mesh.Lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);
        var laptopSite = await mesh.Lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);
        var intruderSite = await mesh.Lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);

        // Laptop's NAT lets no UDP out: the relay over TLS is its only way.
        await laptopSite.BlockUdpAsync(true, ct);
        var (db, laptop, dbIp) = await StartPairAsync(mesh, dbSite.Hosts[0], laptopSite.Hosts[0], ct);
        var intruder = await mesh.StartNodeAsync(intruderSite.Hosts[0], "intruder", null, ct, user: "mallory");
        await intruder.WaitConnectedAsync(ct);
        var laptopHost = laptopSite.Hosts[0].AsMeshHost("");
        var intruderHost = intruderSite.Hosts[0].AsMeshHost("");

        var clock = Stopwatch.StartNew();
        var grant = await mesh.Meshctl.GrantAddAsync("laptop", $"db:{EchoPort}/tcp", TimeSpan.FromMinutes(10), ct);
        var granted = clock.Elapsed;
        var first = await TcpProbe.WaitForEchoAsync(laptopHost, dbIp, EchoPort, TimeSpan.FromSeconds(30), ct);
        Assert.True(first.Echoed, $"no echo from db over the relay: {first.Last}\n{await mesh.LogsAsync(ct)}");
        var firstPacket = clock.Elapsed;
        var echo = await EchoClient.ConnectAsync(
            (label, argv) => mesh.StartService(label, laptopHost.Namespace, argv), () => "", laptopHost, dbIp, EchoPort, ct, silence: TimeSpan.FromSeconds(20));
        var relayed = (await laptop.StatusAsync(ct)).Peers.SingleOrDefault(p => p.Name == "db");
        Assert.True(relayed is { Path: "relay", Transport: "tls" }, $"laptop should reach db over the relay's TLS: {Describe(relayed)}\n{await mesh.LogsAsync(ct)}");

        // 6. No grant, no peer, no ticket naming db: the intruder gets nothing through, by any path.
        var before = await mesh.MetricsAsync(ct);
        var intruderProbe = await TcpProbe.ProbeAsync(intruderHost, dbIp, EchoPort, TimeSpan.FromSeconds(3), ct);
        var intruderProbe2 = await TcpProbe.ProbeAsync(intruderHost, dbIp, SinkPort, TimeSpan.FromSeconds(3), ct);
        var after = await mesh.MetricsAsync(ct);
        Assert.False(TcpProbe.IsConnected(intruderProbe) || TcpProbe.IsConnected(intruderProbe2), $"the intruder reached db: {intruderProbe}, {intruderProbe2}\n{await mesh.LogsAsync(ct)}");
        var intruderStatus = await intruder.StatusAsync(ct);
        Assert.DoesNotContain(intruderStatus.Peers, p => p.Name == "db");
        var dbStatus = await db.StatusAsync(ct);
        Assert.DoesNotContain(dbStatus.Peers, p => p.Name == "intruder");
        const string NotAllowed = "meshports_relay_dropped_total{reason=\"not_allowed\"}";

        // /metrics names every node: from the internet it needs the token, and a wrong one is refused alike.
        Assert.Equal("401", await mesh.MetricsStatusAsync(null, ct));
        Assert.Equal("401", await mesh.MetricsStatusAsync("Bearer mpm1_not-the-token-but-long-enough-to-try", ct));

        // 5. The grant ends while the flow runs over the relay: reset, and no new connection.
        Assert.True(echo.End is null && echo.RoundTrips > 0, $"the open connection over the relay: {echo.Output}\n{await mesh.LogsAsync(ct)}");
        await mesh.Meshctl.GrantRevokeAsync(grant.Id, ct);
        var revoked = DateTimeOffset.UtcNow;
        var end = await echo.WaitForEndAsync(TimeSpan.FromSeconds(15), ct);
        Assert.True(end is not null, $"the open connection over the relay still worked 15 s after the revoke: {echo.Output}\n{await mesh.LogsAsync(ct)}");
        Assert.True(end!.Kind is "reset" or "eof", $"the connection over the relay ended with `{end.Kind}`, expected a reset or EOF\n{echo.Output}");
        var again = await TcpProbe.ProbeAsync(laptopHost, dbIp, EchoPort, TimeSpan.FromSeconds(3), ct);
        Assert.False(TcpProbe.IsConnected(again), $"a new connection after the revoke: {again}\n{await mesh.LogsAsync(ct)}");

        Console.WriteLine(Invariant(
            $"relay only (udp blocked at laptop): first packet {(firstPacket - granted).TotalSeconds:0.0} s after the grant ({Describe(relayed)}); revoke cut the flow {(end.At - revoked).TotalMilliseconds:0} ms after it returned ({end.Kind}); new connection: {again}"));
        Console.WriteLine(Invariant(
            $"intruder without a grant: {intruderProbe}, {intruderProbe2}; relay not_allowed {NatMesh.Metric(before, NotAllowed)} -> {NatMesh.Metric(after, NotAllowed)}; forwarded tls {NatMesh.Metric(before, "meshports_relay_forwarded_datagrams_total{transport=\"tls\"}")} -> {NatMesh.Metric(after, "meshports_relay_forwarded_datagrams_total{transport=\"tls\"}")}"));
    }

    [Fact(Timeout = 240_000)]
    public async Task OverTheTlsRelay_KeysRotateAll_UnderPingsAt20PerSecond_LosesNoPacket()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(220));
        var ct = cts.Token;
        await using var mesh = await NatMesh.StartAsync(ct);
        var dbSite = await mesh.Lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);
        var laptopSite = await mesh.Lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);

        // No UDP out of laptop's site: every packet between laptop and db goes through the relay's TLS stream.
        await laptopSite.BlockUdpAsync(true, ct);
        var (db, laptop, dbIp) = await StartPairAsync(mesh, dbSite.Hosts[0], laptopSite.Hosts[0], ct);
        var laptopHost = laptopSite.Hosts[0].AsMeshHost("");

        // Any live grant from laptop admits its echo requests (the filter lets ICMP echo follow a grant).
        await mesh.Meshctl.GrantAddAsync("laptop", $"db:{EchoPort}/tcp", TimeSpan.FromMinutes(10), ct);
        var first = await TcpProbe.WaitForEchoAsync(laptopHost, dbIp, EchoPort, TimeSpan.FromSeconds(30), ct);
        Assert.True(first.Echoed, $"no echo from db over the relay: {first.Last}\n{await mesh.LogsAsync(ct)}");
        var relayed = (await laptop.StatusAsync(ct)).Peers.SingleOrDefault(p => p.Name == "db");
        Assert.True(relayed is { Path: "relay", Transport: "tls" }, $"laptop should reach db over the relay's TLS: {Describe(relayed)}\n{await mesh.LogsAsync(ct)}");
        var keysBefore = ((await db.StatusAsync(ct)).PublicKey, (await laptop.StatusAsync(ct)).PublicKey);

        const int Pings = 600;
        var pinging = MeshPing.RunAsync(laptopHost, dbIp, Pings, 0.05, ct);
        await Task.Delay(TimeSpan.FromSeconds(4), ct);
        var rotate = await mesh.Meshctl.RunAsync(ct, "keys", "rotate", "--all", "--json");
        var run = await pinging;
        var keysAfter = keysBefore;
        for (var i = 0; i < 100 && (keysAfter.Item1 == keysBefore.Item1 || keysAfter.Item2 == keysBefore.Item2); i++)
        {
            await Task.Delay(200, ct);
            keysAfter = ((await db.StatusAsync(ct)).PublicKey, (await laptop.StatusAsync(ct)).PublicKey);
        }

        var stillRelayed = (await laptop.StatusAsync(ct)).Peers.SingleOrDefault(p => p.Name == "db");

        Assert.True(rotate.Succeeded, $"`keys rotate --all` failed: {rotate.Describe()}");
        Assert.True(keysAfter.Item1 != keysBefore.Item1 && keysAfter.Item2 != keysBefore.Item2,
            $"the keys did not change during the ping run (db {keysBefore.Item1} -> {keysAfter.Item1}, laptop {keysBefore.Item2} -> {keysAfter.Item2})\n{await mesh.LogsAsync(ct)}");
        Console.WriteLine(Invariant($"rotation over the TLS relay: {run.Lost} of {run.Transmitted} pings lost; laptop sees db: {Describe(stillRelayed)}; late or lost:\n{MeshPing.Gaps(run)}"));
        Assert.True(run.Transmitted == Pings && run.Lost == 0,
            $"lost {run.Lost} of {run.Transmitted} pings across `keys rotate --all` over the relay (promise: none):\n{MeshPing.Gaps(run)}\n{await mesh.LogsAsync(ct)}");
        Assert.True(stillRelayed is { Path: "relay" }, $"with UDP still blocked laptop must still be on the relay: {Describe(stillRelayed)}");
    }

    private static async Task<(MeshNode Db, MeshNode Laptop, string DbIp)> StartPairAsync(NatMesh mesh, NatHost dbHost, NatHost laptopHost, CancellationToken ct)
    {
        await HashedTransfer.StartSinkAsync(mesh, dbHost, "127.0.0.1", SinkPort, ct);
        await EchoServer.StartAsync((label, argv) => mesh.StartService(label, dbHost.Namespace, argv), dbHost.AsMeshHost(""), EchoPort, ct);
        var db = await mesh.StartNodeAsync(dbHost, "db", null, ct, tags: ["prod"], expose: [$"{SinkPort}/tcp", $"{EchoPort}/tcp"]);
        var laptop = await mesh.StartNodeAsync(laptopHost, "laptop", null, ct, user: "alice");
        var dbStatus = await db.WaitConnectedAsync(ct);
        await laptop.WaitConnectedAsync(ct);
        return (db, laptop, dbStatus.OverlayIp);
    }

    /// <summary>Polls status until <paramref name="peer"/> satisfies <paramref name="wanted"/>; returns the last view and when (on <paramref name="clock"/>).</summary>
    private static async Task<(NodePeerStatus? View, TimeSpan At)> WaitPeerAsync(
        MeshNode node, string peer, Func<NodePeerStatus?, bool> wanted, TimeSpan within, Stopwatch clock, CancellationToken ct)
    {
        var deadline = clock.Elapsed + within;
        NodePeerStatus? view = null;
        while (clock.Elapsed < deadline)
        {
            view = (await node.StatusAsync(ct)).Peers.SingleOrDefault(p => p.Name == peer);
            if (wanted(view))
            {
                return (view, clock.Elapsed);
            }

            await Task.Delay(200, ct);
        }

        return (view, clock.Elapsed);
    }

    private static async Task WaitRoundTripsAsync(EchoClient echo, int atLeast, TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        while (echo.RoundTrips < atLeast && echo.End is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, ct);
        }
    }

    private static bool IsDirectAt(NodePeerStatus? peer, NatSite site) =>
        peer is { Path: "direct" } && peer.Endpoint?.StartsWith(site.PublicAddress + ":", StringComparison.Ordinal) == true;

    private static string Describe(NodePeerStatus? p) =>
        p is null ? "(no such peer)" : Invariant($"path {p.Path} endpoint {p.Endpoint ?? "-"} relay {p.RelayId ?? "-"} transport {p.Transport ?? "-"} rtt {p.RttMs?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-"} ms relayed rx/tx {p.RelayedRxBytes}/{p.RelayedTxBytes}");

    /// <summary>The longest gap between two round trips of an echo client's "ok N T" lines.</summary>
    private static TimeSpan LongestStall(string output)
    {
        var longest = 0.0;
        double? previous = null;
        foreach (var line in output.Split('\n'))
        {
            var parts = line.Trim().Split(' ');
            if (parts is ["ok", _, var at] && double.TryParse(at, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                longest = previous is { } p ? Math.Max(longest, seconds - p) : longest;
                previous = seconds;
            }
        }

        return TimeSpan.FromSeconds(longest);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
