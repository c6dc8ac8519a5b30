using System.Diagnostics;
using System.Globalization;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.Metrics;
using MeshPorts.Coordinator.State;
using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.State.Policy;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Streaming;

namespace MeshPorts.Benchmarks.Netmaps;

/// <summary>
/// What one grant change costs the coordinator's netmaps on a mesh of N nodes, three ways in one run on the
/// same model: the full rebuild every change used to do (NetmapBuilder.Build, every view published), the full
/// path that policy changes and start still take (NetmapViews.Full: every view, from the index), and the
/// incremental recompute (NetmapViews.Apply: the two nodes the grant joins). Each change alternately adds a
/// node -> node grant between two random nodes and revokes the last one; the views are diffed into the feeds
/// as the coordinator does (store writes are left out: they are the same few rows either way). Wall time, one
/// thread. Run: scripts/bench-netmap.sh, or dotnet MeshPorts.Benchmarks.dll --grant-recompute-probe 1000,10000
/// </summary>
internal static class GrantRecomputeProbe
{
    // Standing access of a mesh of N: a few admins reach 2% web servers, which reach 0.5% databases, and a
    // monitoring user scrapes the web servers. Small groups, as real policies have; a rule joining everyone
    // to everyone would make every view N peers long, and any change touch everyone.
    private const string Policy = """
        rule admin-ssh: tag:admin -> tag:web:22/tcp
        rule web-db: tag:web -> tag:db:5432/tcp
        rule monitoring: user:monitoring -> tag:web:9100/tcp
        """;

    private const int StandingGrants = 6;

    public static int Run(IReadOnlyList<int> sizes)
    {
        Console.WriteLine("netmap recompute per grant change (add or revoke one node -> node grant), 3 rules, " +
            FormattableString.Invariant($"{StandingGrants} standing grants; wall time per change"));
        Console.WriteLine("  nodes | full rebuild (before) | full, indexed (policy, start) | incremental | before / incremental | views per change (full / incremental)");
        foreach (var n in sizes)
        {
            var row = Measure(n);
            Console.WriteLine(FormattableString.Invariant(
                $"  {n,5} | {Ms(row.Before),21} | {Ms(row.Indexed),29} | {Us(row.Incremental),11} | {row.Before / row.Incremental,18:N0}x | {n} / {row.ViewsPerChange:0.0}"));
        }

        return 0;
    }

    private static (double Before, double Indexed, double Incremental, double ViewsPerChange) Measure(int n)
    {
        var rng = new Random(n);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var model = new MeshModel();
        for (var i = 0; i < n; i++)
        {
            var node = Node(i, now);
            model.Nodes[node.Id] = node;
        }

        model.Policy = PolicyParser.Parse(Policy, []);
        var ids = model.Nodes.Keys.ToList();
        for (var i = 0; i < StandingGrants; i++)
        {
            model.Grants.Add(Grant(ids, rng, now));
        }

        var hub = new FeedHub(256, new CoordinatorMetrics()) { Epoch = 1 };
        var views = new NetmapViews();
        hub.Publish(views.Full(model, now));

        // The clock moves a millisecond per change, so the incremental path also pays its scan for what started or ended.
        long[] clock = [now];

        // Incremental: many changes, after a warm-up.
        var changes = n <= 1000 ? 2000 : 400;
        for (var i = 0; i < 50; i++)
        {
            Change(model, ids, rng, clock, g => hub.Publish(views.Apply(NetmapChange.Grant(g), model, clock[0])));
        }

        var built = views.Built;
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < changes; i++)
        {
            Change(model, ids, rng, clock, g => hub.Publish(views.Apply(NetmapChange.Grant(g), model, clock[0])));
        }

        var incremental = sw.Elapsed.TotalMilliseconds / changes;
        var viewsPerChange = (double)(views.Built - built) / changes;

        // Full, through the index: what a policy apply costs now.
        var fullChanges = n <= 1000 ? 20 : 4;
        sw.Restart();
        for (var i = 0; i < fullChanges; i++)
        {
            Change(model, ids, rng, clock, _ => hub.Publish(views.Full(model, clock[0])));
        }

        var indexed = sw.Elapsed.TotalMilliseconds / fullChanges;

        // The rebuild every change did before: rules x nodes^2 in the evaluator, every view diffed.
        var beforeChanges = n <= 1000 ? 10 : 2;
        sw.Restart();
        for (var i = 0; i < beforeChanges; i++)
        {
            Change(model, ids, rng, clock, _ => hub.Publish(NetmapBuilder.Build(model.Nodes.Values, model.Policy.Rules, model.Grants, model.Addressing, clock[0], model.Reported)));
        }

        var before = sw.Elapsed.TotalMilliseconds / beforeChanges;
        return (before, indexed, incremental, viewsPerChange);
    }

    // Adds a grant between two random nodes, or revokes the last one added, then recomputes.
    private static void Change(MeshModel model, List<string> ids, Random rng, long[] clock, Action<GrantRecord> recompute)
    {
        var now = ++clock[0];
        var last = model.Grants[^1];
        if (last.RevokedAt is null && model.Grants.Count > StandingGrants)
        {
            model.Grants[^1] = last with { RevokedAt = now };
            recompute(model.Grants[^1]);
            return;
        }

        var grant = Grant(ids, rng, now);
        model.Grants.Add(grant);
        recompute(grant);
    }

    private static GrantRecord Grant(List<string> ids, Random rng, long now)
    {
        var from = ids[rng.Next(ids.Count)];
        var to = ids[rng.Next(ids.Count)];
        return new GrantRecord
        {
            Id = "g_" + Guid.NewGuid().ToString("N")[..10],
            Subject = Subject.Node("n" + from[2..]),
            Target = Subject.Node("n" + to[2..]),
            SubjectNodeId = from,
            TargetNodeId = to,
            Port = 5432,
            Protocol = PortProtocol.Tcp,
            CreatedAt = now - 1,
            ExpiresAt = now + 3_600_000,
            Reason = "probe",
        };
    }

    private static NodeRecord Node(int i, long now)
    {
        var tags = new List<string>();
        if (i < 5)
        {
            tags.Add("admin");
        }
        else if (i % 50 == 0)
        {
            tags.Add("web");
        }
        else if (i % 200 == 1)
        {
            tags.Add("db");
        }

        var text = i.ToString(CultureInfo.InvariantCulture);
        return new NodeRecord
        {
            Id = "n_" + text,
            Name = "n" + text,
            User = i % 1000 == 7 ? "monitoring" : "u" + (i % 97).ToString(CultureInfo.InvariantCulture),
            Tags = tags,
            MachineKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32),
            WireGuardKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32),
            KeyExpiresAt = now + 86_400_000,
            AddressIndex = i + 1,
            Endpoints = [FormattableString.Invariant($"198.51.{i / 250 % 256}.{i % 250}:51820")],
            EnrolledAt = now,
        };
    }

    private static string Ms(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    private static string Us(double ms) => (ms * 1000).ToString("0", CultureInfo.InvariantCulture) + " µs";
}
