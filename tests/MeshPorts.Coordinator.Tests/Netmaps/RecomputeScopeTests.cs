using MeshPorts.Contracts.Admin;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests.Netmaps;

/// <summary>How many node views each kind of change computes (meshports_netmap_views_built_total), and that the others get no delta.</summary>
public sealed class RecomputeScopeTests
{
    [Fact]
    public async Task GrantBetweenTwoNodes_RecomputesExactlyThoseTwo()
    {
        await using var c = await TestCoordinator.StartAsync();
        var probe = new NetmapProbe(c);
        var nodes = await EnrollAsync(c, "a", "b", "c", "d", "e", "f");
        var serials = probe.Serials(nodes.Select(n => n.Id));
        var built = probe.ViewsBuilt;

        var grant = (await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"))).Grant;
        Assert.Equal(2, probe.ViewsBuilt - built);
        AssertDeltasOnly(probe, serials, nodes, "a", "b");

        serials = probe.Serials(nodes.Select(n => n.Id));
        built = probe.ViewsBuilt;
        await c.Admin.RevokeGrantAsync(new RevokeGrantRequest { Id = grant.Id });
        Assert.Equal(2, probe.ViewsBuilt - built);
        AssertDeltasOnly(probe, serials, nodes, "a", "b");
        Dispose(nodes);
    }

    [Fact]
    public async Task GrantToATag_RecomputesTheSubjectAndEveryTaggedNode()
    {
        await using var c = await TestCoordinator.StartAsync();
        var probe = new NetmapProbe(c);
        var nodes = await EnrollAsync(c, "a", "x", "y");
        foreach (var name in new[] { "w1", "w2", "w3" })
        {
            nodes.Add(await c.EnrollAsync(name, tags: ["web"]));
        }

        var serials = probe.Serials(nodes.Select(n => n.Id));
        var built = probe.ViewsBuilt;
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "tag:web", 80));
        Assert.Equal(4, probe.ViewsBuilt - built);
        AssertDeltasOnly(probe, serials, nodes, "a", "w1", "w2", "w3");
        Dispose(nodes);
    }

    [Fact]
    public async Task GrantExpiry_AtTheDeadlineRecomputesOnlyTheNodesItJoined()
    {
        await using var c = await TestCoordinator.StartAsync();
        var probe = new NetmapProbe(c);
        var nodes = await EnrollAsync(c, "a", "b", "c", "d", "e");
        await c.Admin.AddGrantAsync(TestGrants.For("a", "b", 22, TimeSpan.FromMinutes(10)));
        await c.Admin.AddGrantAsync(TestGrants.For("c", "d", 22, TimeSpan.FromMinutes(60)));
        var serials = probe.Serials(nodes.Select(n => n.Id));
        var built = probe.ViewsBuilt;

        c.Time.Advance(TimeSpan.FromMinutes(10));
        await probe.SettleAsync();
        Assert.Equal(2, probe.ViewsBuilt - built);
        AssertDeltasOnly(probe, serials, nodes, "a", "b");
        Dispose(nodes);
    }

    [Fact]
    public async Task KeyRotation_RecomputesTheNodeAndThoseThatSeeIt()
    {
        await using var c = await TestCoordinator.StartAsync();
        var probe = new NetmapProbe(c);
        var nodes = await EnrollAsync(c, "a", "b", "c", "d", "e");
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "b"));
        await c.Admin.AddGrantAsync(TestGrants.Hour("c", "a"));
        var serials = probe.Serials(nodes.Select(n => n.Id));
        var built = probe.ViewsBuilt;

        await nodes[0].RotateAsync(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Assert.Equal(3, probe.ViewsBuilt - built);
        AssertDeltasOnly(probe, serials, nodes, "a", "b", "c");
        Dispose(nodes);
    }

    [Fact]
    public async Task EnrollAndRemove_RecomputeTheNodeAndItsPeersOnly()
    {
        await using var c = await TestCoordinator.StartAsync();
        var probe = new NetmapProbe(c);
        var nodes = await EnrollAsync(c, "a", "b", "c");
        nodes.Add(await c.EnrollAsync("w1", tags: ["web"]));
        await c.Admin.AddGrantAsync(TestGrants.Hour("a", "tag:web", 80));
        var serials = probe.Serials(nodes.Select(n => n.Id));
        var built = probe.ViewsBuilt;

        // w2 carries the tag the grant names: it and a learn of each other; b and c are not involved.
        var w2 = await c.EnrollAsync("w2", tags: ["web"]);
        Assert.Equal(2, probe.ViewsBuilt - built);
        AssertDeltasOnly(probe, serials, nodes, "a");

        serials = probe.Serials(nodes.Select(n => n.Id));
        built = probe.ViewsBuilt;
        await c.Admin.RemoveNodeAsync(new RemoveNodeRequest { Name = "w2" });
        Assert.Equal(1, probe.ViewsBuilt - built);
        AssertDeltasOnly(probe, serials, nodes, "a");
        w2.Dispose();
        Dispose(nodes);
    }

    [Fact]
    public async Task PolicyApply_RecomputesEveryNode()
    {
        await using var c = await TestCoordinator.StartAsync();
        var probe = new NetmapProbe(c);
        var nodes = await EnrollAsync(c, "a", "b", "c", "d");
        var built = probe.ViewsBuilt;

        var applied = await c.Admin.ApplyPolicyAsync(new PolicyRequest { Text = "rule r: a -> b:22/tcp\n" });
        Assert.True(applied.Ok);
        Assert.Equal(4, probe.ViewsBuilt - built);
        Dispose(nodes);
    }

    private static async Task<List<TestNode>> EnrollAsync(TestCoordinator c, params string[] names)
    {
        var nodes = new List<TestNode>();
        foreach (var name in names)
        {
            nodes.Add(await c.EnrollAsync(name));
        }

        return nodes;
    }

    private static void AssertDeltasOnly(NetmapProbe probe, Dictionary<string, ulong> before, List<TestNode> nodes, params string[] changed)
    {
        foreach (var node in nodes)
        {
            var moved = probe.Serial(node.Id) != before[node.Id];
            Assert.True(moved == changed.Contains(node.Name), $"{node.Name}: serial {(moved ? "moved" : "did not move")}; expected deltas for {string.Join(", ", changed)} only");
        }
    }

    private static void Dispose(List<TestNode> nodes)
    {
        foreach (var n in nodes)
        {
            n.Dispose();
        }
    }
}
