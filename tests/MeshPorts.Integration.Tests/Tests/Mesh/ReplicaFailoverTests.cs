using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Tests.Mesh;

/// <summary>
/// Issue #13: two coordinator replicas on one database, the real nodes and the real meshctl holding both URLs.
/// Replica A is killed with SIGKILL while meshctl writes grants through it: meshctl moves to B, the nodes move to B,
/// an open flow under a grant keeps working, no grant meshctl was told about is lost, every stored grant has its
/// audit event and the chain verifies, and B's revokes and grants reach both nodes. On every store
/// (SqliteReplicaFailoverTests, PostgresReplicaFailoverTests).
/// </summary>
public abstract class ReplicaFailoverTests
{
    private const int DbPort = OfficeMesh.DbPort;

    /// <summary>Both replicas' --store; null: one SQLite file.</summary>
    protected abstract Task<string?> StoreAsync();

    [Trait("Category", "Slow")]
    [Fact(Timeout = 420_000)]
    public async Task ReplicaKilledUnderWrites_MeshctlAndNodesMoveToTheOther_NoConfirmedGrantLost_AuditIntact()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(400));
        var ct = cts.Token;
        await using var network = await MeshNetwork.CreateAsync(["db", "laptop"], ct);
        await network.StartReplicatedCoordinatorAsync(ct, await StoreAsync());
        var a = network.Coordinator;
        var b = network.Replica;
        await EchoServer.StartAsync(network, network.Host("db"), DbPort, ct);
        var db = await network.StartNodeAsync("db", ct, tags: ["prod"], expose: ["5432/tcp"]);
        var laptop = await network.StartNodeAsync("laptop", ct, user: "alice");
        var dbOverlay = (await db.WaitConnectedAsync(ct)).OverlayIp;
        foreach (var node in new[] { db, laptop })
        {
            var status = await node.WaitConnectedAsync(ct);
            MeshAssert.True(SameAuthority(status.Coordinator.Url, a.Url), $"{node.Name} follows {status.Coordinator.Url}, expected the first URL {a.Url}", network);
        }

        var first = await network.Meshctl.GrantAddAsync("laptop", "db:5432/tcp", TimeSpan.FromMinutes(10), ct);
        var (echoed, last, _) = await TcpProbe.WaitForEchoAsync(network.Host("laptop"), dbOverlay, DbPort, TimeSpan.FromSeconds(30), ct);
        MeshAssert.True(echoed, $"laptop got no echo from db within 30 s of its grant (last: {last})", network);
        var flow = await EchoClient.ConnectAsync(network, network.Host("laptop"), dbOverlay, DbPort, ct);

        // Two meshctl loops write grants; A dies under them; they keep going until B has confirmed a few.
        var confirmed = new ConcurrentBag<(string Id, DateTimeOffset At)>();
        var refused = new ConcurrentBag<string>();
        using var stopWriting = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            for (var n = 0; !stopWriting.IsCancellationRequested; n++)
            {
                var result = await network.Meshctl.RunAsync(
                    ct, "grant", "add", "--from", "laptop", "--to", "db:5432/tcp", "--for", "10m", "--reason", $"writer {w} #{n}", "--json");
                if (result.Succeeded)
                {
                    confirmed.Add((MeshJson.Parse<MeshGrant>(result.Stdout, "grant add --json").Id, DateTimeOffset.UtcNow));
                }
                else
                {
                    refused.Add(result.Describe());
                }
            }
        })).ToList();

        await WaitUntilAsync(() => confirmed.Count >= 4, TimeSpan.FromSeconds(90), ct);
        MeshAssert.True(confirmed.Count >= 4, $"meshctl confirmed only {confirmed.Count} grants through A in 90 s: {string.Join(" | ", refused)}", network);
        await a.KillAsync(ct);
        var killedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();

        // The nodes move to B on their own, while meshctl keeps writing.
        var moving = Task.Run(async () =>
        {
            var ok = await WaitUntilAsync(
                async () =>
                {
                    foreach (var node in new[] { db, laptop })
                    {
                        var status = await node.TryStatusAsync(ct);
                        if (!status.Succeeded || node.ParseStatus(status.Stdout).Coordinator is not { Connected: true } now || !SameAuthority(now.Url, b.Url))
                        {
                            return false;
                        }
                    }

                    return true;
                },
                TimeSpan.FromSeconds(90),
                ct);
            return (ok, clock.Elapsed);
        });
        await WaitUntilAsync(() => confirmed.Count(c => c.At > killedAt) >= 4, TimeSpan.FromSeconds(90), ct);
        await stopWriting.CancelAsync();
        await Task.WhenAll(writers);
        var afterKill = confirmed.Count(c => c.At > killedAt);
        MeshAssert.True(afterKill >= 4, $"after A's kill meshctl confirmed only {afterKill} grants in 90 s (it should move to B): {string.Join(" | ", refused)}", network);
        var (moved, failover) = await moving;
        MeshAssert.True(moved, "within 90 s of A's kill, db and laptop did not both follow B", network);

        // Fail static across the move: the flow opened through A's netmap never stopped.
        MeshAssert.True(flow.End is null, $"laptop's open flow ended during the failover ({flow.End?.Kind} at {flow.End?.At:O})", network);

        // Nothing meshctl was told about is lost; every stored grant has its event; the chain verifies through B.
        var active = MeshJson.Parse<MeshGrant[]>(await network.Meshctl.RunCheckedAsync(ct, "grant", "list", "--json"), "grant list --json");
        var stored = active.Select(g => g.Id).ToHashSet(StringComparer.Ordinal);
        var lost = confirmed.Select(c => c.Id).Append(first.Id).Where(id => !stored.Contains(id)).ToList();
        MeshAssert.True(lost.Count == 0, $"grants meshctl confirmed are not in the store: {string.Join(", ", lost)}", network);
        var added = AuditSubjects(await network.Meshctl.RunCheckedAsync(ct, "audit", "--type", "grant.added", "--json"));
        var unaudited = stored.Where(id => !added.Contains(id)).ToList();
        MeshAssert.True(unaudited.Count == 0, $"stored grants without a grant.added event: {string.Join(", ", unaudited)}", network);
        MeshAssert.True(added.Count == stored.Count, $"{added.Count} grant.added events for {stored.Count} stored grants", network);
        var verify = await network.Meshctl.RunAsync(ct, "audit", "verify");
        MeshAssert.True(verify.Succeeded, $"audit verify through B: {verify.Describe()}", network);

        // B's changes reach both nodes: revoking every grant cuts the open flow, one new grant lets laptop in again.
        foreach (var id in stored)
        {
            await network.Meshctl.GrantRevokeAsync(id, ct);
        }

        var cut = await flow.WaitForEndAsync(TimeSpan.FromSeconds(20), ct);
        MeshAssert.True(cut is not null, "revoking every grant through B did not cut laptop's open flow within 20 s", network);
        await network.Meshctl.GrantAddAsync("laptop", "db:5432/tcp", TimeSpan.FromMinutes(5), ct);
        var again = await TcpProbe.WaitForEchoAsync(network.Host("laptop"), dbOverlay, DbPort, TimeSpan.FromSeconds(20), ct);
        MeshAssert.True(again.Echoed, $"a grant made through B did not let laptop in within 20 s (last: {again.Last})", network);

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{GetType().Name}: replica A killed under writes: {confirmed.Count} grants confirmed ({afterKill} through B), {refused.Count} meshctl calls failed at the kill; both nodes on B {failover.TotalSeconds:0.0} s after the kill; {stored.Count} stored grants, each with its event; open flow kept"));
    }

    private static bool SameAuthority(string url, string expected) =>
        new Uri(url).GetLeftPart(UriPartial.Authority) == new Uri(expected).GetLeftPart(UriPartial.Authority);

    private static HashSet<string> AuditSubjects(string jsonLines) =>
        jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line =>
            {
                using var doc = JsonDocument.Parse(line);
                return doc.RootElement.GetProperty("subject").GetString()!;
            })
            .ToHashSet(StringComparer.Ordinal);

    private static Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan within, CancellationToken ct) =>
        WaitUntilAsync(() => Task.FromResult(condition()), within, ct);

    private static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250, ct);
        }

        return await condition();
    }
}
