using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.State;
using MeshPorts.Coordinator.State.Endpoints;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests.Netmaps;

/// <summary>
/// The incremental recompute against its specification: random sequences of every kind of change, and after
/// each step every node's published netmap equals a full NetmapBuilder.Build, and a node's serial moved exactly
/// when its netmap changed (a node the change did not touch got no delta). Rerun a failure with its seed:
/// MESHPORTS_NETMAP_SEED=N dotnet test ... --filter IncrementalNetmapTests.
/// </summary>
public sealed class IncrementalNetmapTests
{
    private const int MaxNodes = 30;
    private const int Steps = 200;
    private static readonly string[] Users = ["alice", "bob", "carol"];
    private static readonly string[] Tags = ["web", "db", "ops"];
    private static readonly int[] Ports = [22, 80, 5432];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(0)] // a fresh seed each run (or MESHPORTS_NETMAP_SEED), printed on failure
    public async Task RandomChanges_KeepEveryNetmapEqualToAFullBuild(int fixedSeed)
    {
        var seed = fixedSeed != 0 ? fixedSeed
            : Environment.GetEnvironmentVariable("MESHPORTS_NETMAP_SEED") is { Length: > 0 } s ? int.Parse(s, CultureInfo.InvariantCulture)
            : Random.Shared.Next(1, int.MaxValue);
        var rng = new Random(seed);

        // Keys last 3 h so that some expire, and rotations bring them back, within the run's clock.
        await using var c = await TestCoordinator.StartAsync(o => o.KeyLifetime = TimeSpan.FromHours(3));
        var probe = new NetmapProbe(c);
        var run = new Run(c, probe, rng);
        var log = new List<string>();
        var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var step = 0; step < Steps; step++)
        {
            // A little time passes between changes, so grants and keys also start and end between them.
            c.Time.Advance(TimeSpan.FromMilliseconds(rng.Next(0, 3000)));
            await probe.SettleAsync();

            // What each node holds now (a deadline that just passed may not be published yet: the step's recompute does it).
            var ids = (await probe.RecordsAsync()).Select(n => n.Id).ToList();
            var before = ids.ToDictionary(id => id, id => probe.Published(id) ?? "", StringComparer.Ordinal);
            var serialsBefore = probe.Serials(ids);

            var (kind, what) = step < 12 ? ("enroll", await run.EnrollAsync()) : await run.RandomStepAsync();
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            log.Add(FormattableString.Invariant($"{step}: {what}"));
            await probe.SettleAsync();

            var expected = await probe.ExpectedAsync();
            foreach (var (id, view) in expected)
            {
                var published = probe.Published(id);
                if (published != view)
                {
                    Assert.Fail($"seed {seed}, step {step} ({what}): node {id}'s netmap differs from a full build\n full build: {view}\n published:  {published}\n{History(log)}");
                }

                if (serialsBefore.TryGetValue(id, out var old) && before.TryGetValue(id, out var was) && (was != view) != (probe.Serial(id) != old))
                {
                    Assert.Fail($"seed {seed}, step {step} ({what}): node {id}'s netmap {(was != view ? "changed but no delta was sent" : "did not change but a delta was sent")}\n{History(log)}");
                }
            }
        }

        // Each kind of change must have been exercised, or the run proves less than it says.
        foreach (var kind in Run.Kinds)
        {
            Assert.True(kinds.GetValueOrDefault(kind) > 0, $"seed {seed}: no '{kind}' step ran; counts: {string.Join(", ", kinds.Select(k => $"{k.Key}={k.Value}"))}");
        }
    }

    private static string History(List<string> log) => "steps (last 25):\n  " + string.Join("\n  ", log.TakeLast(25));

    private sealed class Run(TestCoordinator c, NetmapProbe probe, Random rng)
    {
        public static readonly string[] Kinds = ["enroll", "remove", "grant", "revoke", "expire", "rotate", "ack", "report", "policy"];

        private readonly Dictionary<string, TestNode> _nodes = new(StringComparer.Ordinal);
        private readonly List<string> _grants = [];

        private MeshState State => probe.State;

        public async Task<(string Kind, string What)> RandomStepAsync()
        {
            var roll = rng.Next(100);
            try
            {
                return roll switch
                {
                    < 10 => ("enroll", await EnrollAsync()),
                    < 16 => ("remove", await RemoveAsync()),
                    < 40 => ("grant", await GrantAsync()),
                    < 50 => ("revoke", await RevokeAsync()),
                    < 58 => ("expire", Expire()),
                    < 68 => ("rotate", await RotateAsync()),
                    < 76 => ("ack", await AckAsync()),
                    < 92 => ("report", await ReportAsync()),
                    _ => ("policy", await PolicyAsync()),
                };
            }
            catch (StateException ex)
            {
                // A refused change is a step too: it must have changed nothing.
                return ("refused", "refused: " + ex.Message);
            }
        }

        public async Task<string> EnrollAsync()
        {
            if (_nodes.Count >= MaxNodes)
            {
                return "enroll skipped (full)";
            }

            // Names are reused after a removal: the new node is someone else, and inherits no node grant.
            var name = Enumerable.Range(1, 40).Select(i => "n" + i.ToString(CultureInfo.InvariantCulture)).Where(n => !_nodes.ContainsKey(n)).ElementAt(rng.Next(40 - _nodes.Count));
            var user = rng.Next(4) == 0 ? "" : Users[rng.Next(Users.Length)];
            var tags = Tags.Where(_ => rng.Next(10) < 4).ToArray();
            _nodes[name] = await c.EnrollAsync(name, user, tags);
            return $"enroll {name} user={user} tags={string.Join(",", tags)}";
        }

        private async Task<string> RemoveAsync()
        {
            var name = AnyNode();
            if (name is null)
            {
                return "remove skipped";
            }

            await State.Nodes.RemoveNodeAsync(name, CancellationToken.None);
            _nodes.Remove(name, out var node);
            node!.Dispose();
            return "remove " + name;
        }

        private async Task<string> GrantAsync()
        {
            var from = Side(allowUser: true);
            var to = Side(allowUser: false);
            if (from is null || to is null)
            {
                return "grant skipped";
            }

            var port = Ports[rng.Next(Ports.Length)];
            var protocol = rng.Next(4) == 0 ? PortProtocol.Udp : PortProtocol.Tcp;
            var duration = TimeSpan.FromMinutes(rng.Next(1, 120));
            var grant = await State.Grants.AddGrantAsync(from.Value, to.Value, port, protocol, duration, "equivalence", CancellationToken.None);
            _grants.Add(grant.Id);
            return $"grant {grant.Id} {from} -> {to}:{port}/{protocol.ToText()} for {duration.TotalMinutes} min";
        }

        private async Task<string> RevokeAsync()
        {
            if (_grants.Count == 0)
            {
                return "revoke skipped";
            }

            var id = _grants[rng.Next(_grants.Count)];
            _grants.Remove(id);
            await State.Grants.RevokeGrantAsync(id, CancellationToken.None);
            return "revoke " + id;
        }

        // Far enough that grants (1-120 min) and keys (3 h) end; the deadline handler runs inside Advance.
        private string Expire()
        {
            var minutes = rng.Next(1, 50);
            c.Time.Advance(TimeSpan.FromMinutes(minutes));
            return $"advance {minutes} min";
        }

        private async Task<string> RotateAsync()
        {
            var name = AnyNode();
            if (name is null)
            {
                return "rotate skipped";
            }

            var key = RandomNumberGenerator.GetBytes(32);
            await State.Rotation.RotateKeyAsync(await probe.RecordAsync(name), key, CancellationToken.None);
            _nodes[name].WireGuardKey = key;
            return "rotate " + name;
        }

        // Acks finish rotations, which drop the previous key from the peers' views.
        private async Task<string> AckAsync()
        {
            var name = AnyNode();
            if (name is null)
            {
                return "ack skipped";
            }

            var record = await probe.RecordAsync(name);
            var serial = probe.Serial(record.Id);
            await State.Nodes.AckAsync(record, serial, CancellationToken.None);
            return FormattableString.Invariant($"ack {name} {serial}");
        }

        private async Task<string> ReportAsync()
        {
            var name = AnyNode();
            if (name is null)
            {
                return "report skipped";
            }

            var candidates = new[] { "198.51.100.7:51820", "203.0.113.9:41641", "10.0.0.5:51820" }.Where(_ => rng.Next(2) == 0).ToList();
            var relay = rng.Next(3) == 0 ? "r1" : "";
            await State.Endpoints.ReportAsync(await probe.RecordAsync(name), candidates, relay, [], CancellationToken.None);
            return $"report {name} [{string.Join(" ", candidates)}] relay={relay}";
        }

        private async Task<string> PolicyAsync()
        {
            var text = new StringBuilder();
            var rules = rng.Next(0, 4);
            for (var i = 0; i < rules; i++)
            {
                var from = Side(allowUser: true);
                var to = Side(allowUser: false);
                if (from is null || to is null)
                {
                    continue;
                }

                text.Append(CultureInfo.InvariantCulture, $"rule r{i}: {from} -> {to}:{Ports[rng.Next(Ports.Length)]}/tcp\n");
            }

            var result = await State.Policy.ApplyPolicyAsync(text.ToString(), CancellationToken.None);
            Assert.True(result.Ok, $"the generated policy was refused: {string.Join("; ", result.Errors.Select(e => e.Message))}\n{text}");
            return "policy " + text.ToString().Replace('\n', ';');
        }

        private string? AnyNode() => _nodes.Count == 0 ? null : _nodes.Keys.ElementAt(rng.Next(_nodes.Count));

        // A node name, user: or tag: (a grant naming a user or tag no node has is refused: a refused step).
        private Subject? Side(bool allowUser) => rng.Next(allowUser ? 3 : 2) switch
        {
            0 => AnyNode() is { } name ? Subject.Node(name) : null,
            1 => Subject.Tag(Tags[rng.Next(Tags.Length)]),
            _ => Subject.User(Users[rng.Next(Users.Length)]),
        };
    }
}
