using System.Globalization;
using System.Security.Cryptography;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.State;
using MeshPorts.Coordinator.State.Endpoints;
using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.State.Policy;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests.Netmaps;

/// <summary>
/// NetmapViews on an in-memory model, where the cases a single coordinator cannot produce are cheap: names two
/// nodes share (replicas racing), a tag listed twice, grants that start in the future or are revoked ahead of
/// this clock (another replica's skew), grants naming a removed node, and a clock that steps back. After every
/// step each node's last recomputed view equals NetmapBuilder.Build, and the next deadline is the first moment
/// a view can change by itself.
/// </summary>
public sealed class NetmapViewsTests
{
    private static readonly string[] Users = ["alice", "bob", ""];
    private static readonly string[] Tags = ["web", "db", "ops"];

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    public void RandomModelChanges_KeepEveryViewEqualToAFullBuild(int seed)
    {
        var rng = new Random(seed);
        using var model = new MeshModel();
        var views = new NetmapViews();
        var now = 1_000_000_000L;
        var latest = new Dictionary<string, string>(StringComparer.Ordinal);
        Take(latest, views.Full(model, now));
        var log = new List<string>();
        for (var step = 0; step < 600; step++)
        {
            string what;
            var roll = rng.Next(100);
            if (roll < 15 || model.Nodes.Count < 4)
            {
                what = AddNode(model, rng, now, views, latest);
            }
            else if (roll < 20)
            {
                what = RemoveNode(model, rng, now, views, latest);
            }
            else if (roll < 40)
            {
                what = AddGrant(model, rng, now, views, latest);
            }
            else if (roll < 48)
            {
                what = RevokeGrant(model, rng, now, views, latest);
            }
            else if (roll < 56)
            {
                what = ChangeKey(model, rng, now, views, latest);
            }
            else if (roll < 64)
            {
                var node = Any(model, rng);
                model.Reported[node.Id] = new ReportedEndpoints(rng.Next(2) == 0 ? [] : ["198.51.100.7:51820"], rng.Next(2) == 0 ? "" : "r1", []);
                Take(latest, views.Apply(NetmapChange.Reach(node.Id), model, now));
                what = "report " + node.Name;
            }
            else if (roll < 68)
            {
                model.Policy = RandomPolicy(model, rng);
                Take(latest, views.Full(model, now));
                what = "policy " + string.Join("; ", model.Policy.Rules.Select(r => $"{r.From} -> {r.To}"));
            }
            else
            {
                // Mostly forward, sometimes not at all, now and then back (an NTP step).
                var delta = rng.Next(10) == 0 ? -rng.Next(1, 600_000) : rng.Next(4) == 0 ? 0 : rng.Next(1, 1_800_000);
                now += delta;
                Take(latest, views.Apply(NetmapChange.Clock, model, now));
                what = FormattableString.Invariant($"clock {delta:+#;-#;0} ms");
            }

            log.Add(FormattableString.Invariant($"{step}: {what}"));
            Check(seed, step, model, now, views, latest, log);
        }
    }

    private static void Check(int seed, int step, MeshModel model, long now, NetmapViews views, Dictionary<string, string> latest, List<string> log)
    {
        var history = "steps (last 20):\n  " + string.Join("\n  ", log.TakeLast(20));
        foreach (var view in NetmapBuilder.Build(model.Nodes.Values, model.Policy.Rules, model.Grants, model.Addressing, now, model.Reported))
        {
            var expected = NetmapProbe.Canonical(view);
            var got = latest.GetValueOrDefault(view.Self.Id);
            Assert.True(expected == got, $"seed {seed}, step {step}: {view.Self.Name}'s view differs from a full build\n full build: {expected}\n recomputed: {got}\n{history}");
        }

        Assert.True(latest.Keys.All(model.Nodes.ContainsKey), $"seed {seed}, step {step}: a removed node's view was recomputed\n{history}");

        // The first moment ahead at which a key expires or an unfinished grant starts, ends or is revoked.
        var moments = model.Nodes.Values.Select(n => n.KeyExpiresAt)
            .Concat(model.Grants.Where(g => !NetmapIndex.Finished(g, now)).SelectMany(g => new[] { g.CreatedAt, g.ExpiresAt, g.RevokedAt ?? long.MaxValue }))
            .Where(t => t > now && t != long.MaxValue).ToList();
        long? next = moments.Count == 0 ? null : moments.Min();
        Assert.True(next == views.NextDeadline(now), $"seed {seed}, step {step}: next deadline {views.NextDeadline(now)}, expected {next}\n{history}");
    }

    private static void Take(Dictionary<string, string> latest, List<NodeView> views)
    {
        foreach (var v in views)
        {
            latest[v.Self.Id] = NetmapProbe.Canonical(v);
        }
    }

    private static string AddNode(MeshModel model, Random rng, long now, NetmapViews views, Dictionary<string, string> latest)
    {
        // Names from a small pool, so two nodes sometimes share one (as racing replicas can leave them).
        var name = "n" + rng.Next(1, 12).ToString(CultureInfo.InvariantCulture);
        var tags = Tags.Where(_ => rng.Next(3) == 0).ToList();
        if (tags.Count > 0 && rng.Next(5) == 0)
        {
            tags.Add(tags[0]);
        }

        var index = Enumerable.Range(1, 1000).First(i => model.Nodes.Values.All(n => n.AddressIndex != i));
        var node = new NodeRecord
        {
            Id = MeshModel.NewId("n_", 8),
            Name = name,
            User = Users[rng.Next(Users.Length)],
            Tags = tags,
            MachineKey = RandomNumberGenerator.GetBytes(32),
            WireGuardKey = RandomNumberGenerator.GetBytes(32),
            KeyExpiresAt = now + rng.Next(60_000, 7_200_000),
            AddressIndex = index,
            Endpoints = ["127.0.0.1:51820"],
        };
        model.Nodes[node.Id] = node;
        Take(latest, views.Apply(NetmapChange.Node(node.Id), model, now));
        return $"add {name} ({node.Id}) user={node.User} tags={string.Join(",", tags)}";
    }

    private static string RemoveNode(MeshModel model, Random rng, long now, NetmapViews views, Dictionary<string, string> latest)
    {
        var node = Any(model, rng);
        model.Nodes.Remove(node.Id);
        model.Reported.TryRemove(node.Id, out _);
        latest.Remove(node.Id);

        // Half the time the grants naming it are ended with it (as NodeRegistry does); else they outlive it, naming nobody.
        var ended = new List<GrantRecord>();
        if (rng.Next(2) == 0)
        {
            for (var i = 0; i < model.Grants.Count; i++)
            {
                var g = model.Grants[i];
                if (g.RevokedAt is null && (g.SubjectNodeId == node.Id || g.TargetNodeId == node.Id))
                {
                    model.Grants[i] = g with { RevokedAt = now };
                    ended.Add(model.Grants[i]);
                }
            }
        }

        Take(latest, views.Apply(new NetmapChange([node.Id], ended, Records: true), model, now));
        return $"remove {node.Name} ({node.Id}), {ended.Count} grants ended";
    }

    private static string AddGrant(MeshModel model, Random rng, long now, NetmapViews views, Dictionary<string, string> latest)
    {
        var (subject, subjectId) = Side(model, rng, allowUser: true);
        var (target, targetId) = Side(model, rng, allowUser: false);

        // Now and then made by a replica whose clock is ahead: it starts later here.
        var created = rng.Next(6) == 0 ? now + rng.Next(1, 600_000) : now;
        var grant = new GrantRecord
        {
            Id = MeshModel.NewId("g_", 5),
            Subject = subject,
            Target = target,
            SubjectNodeId = subjectId,
            TargetNodeId = targetId,
            Port = new[] { 22, 80, 5432 }[rng.Next(3)],
            Protocol = rng.Next(3) == 0 ? PortProtocol.Udp : PortProtocol.Tcp,
            CreatedAt = created,
            ExpiresAt = created + rng.Next(60_000, 7_200_000),
            Reason = "test",
        };
        model.Grants.Add(grant);
        Take(latest, views.Apply(NetmapChange.Grant(grant), model, now));
        return $"grant {grant.Id} {subject} -> {target}:{grant.Port} from {created - now:+#;-#;0} ms";
    }

    private static string RevokeGrant(MeshModel model, Random rng, long now, NetmapViews views, Dictionary<string, string> latest)
    {
        var open = Enumerable.Range(0, model.Grants.Count).Where(i => model.Grants[i].RevokedAt is null).ToList();
        if (open.Count == 0)
        {
            return "revoke skipped";
        }

        var i = open[rng.Next(open.Count)];

        // Now and then revoked by a replica whose clock is ahead: it ends a little later here.
        var at = rng.Next(5) == 0 ? now + rng.Next(1, 300_000) : now;
        model.Grants[i] = model.Grants[i] with { RevokedAt = at };
        Take(latest, views.Apply(NetmapChange.Grant(model.Grants[i]), model, now));
        return $"revoke {model.Grants[i].Id} at {at - now:+#;-#;0} ms";
    }

    private static string ChangeKey(MeshModel model, Random rng, long now, NetmapViews views, Dictionary<string, string> latest)
    {
        var node = Any(model, rng);
        model.Nodes[node.Id] = rng.Next(3) == 0
            ? node with { PreviousWireGuardKey = null }
            : node with { WireGuardKey = RandomNumberGenerator.GetBytes(32), PreviousWireGuardKey = node.WireGuardKey, KeyExpiresAt = now + rng.Next(60_000, 7_200_000) };
        Take(latest, views.Apply(NetmapChange.Node(node.Id), model, now));
        return "key " + node.Name;
    }

    private static PolicyDocument RandomPolicy(MeshModel model, Random rng)
    {
        var rules = new List<PolicyRule>();
        for (var i = rng.Next(0, 4); i > 0; i--)
        {
            var from = Side(model, rng, allowUser: true).Subject;
            var to = Side(model, rng, allowUser: false).Subject;
            rules.Add(new PolicyRule("r" + i.ToString(CultureInfo.InvariantCulture), from, to, 22, PortProtocol.Tcp, i));
        }

        return new PolicyDocument("", rules, []);
    }

    private static (Subject Subject, string? NodeId) Side(MeshModel model, Random rng, bool allowUser) => rng.Next(allowUser ? 3 : 2) switch
    {
        0 => Any(model, rng) is var n ? (Subject.Node(n.Name), n.Id) : default,
        1 => (Subject.Tag(Tags[rng.Next(Tags.Length)]), null),
        _ => (Subject.User(Users[rng.Next(2)]), null),
    };

    private static NodeRecord Any(MeshModel model, Random rng) => model.Nodes.Values.ElementAt(rng.Next(model.Nodes.Count));
}
