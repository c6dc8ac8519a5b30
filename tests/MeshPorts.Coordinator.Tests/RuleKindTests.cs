using Google.Protobuf.WellKnownTypes;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests;

public sealed class RuleKindTests
{
    [Fact]
    public async Task Netmap_InboundRules_SayWhetherAPolicyRuleOrAGrantAllowsThem()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var web = await c.EnrollAsync("web-1", tags: ["web"]);
        using var db = await c.EnrollAsync("db-1", tags: ["db"]);
        var policy = await c.Admin.ApplyPolicyAsync(new PolicyRequest { Text = "rule web-db: tag:web -> tag:db:5432/tcp\n" });
        Assert.True(policy.Ok, string.Join("; ", policy.Errors.Select(e => e.Message)));
        var grant = (await c.Admin.AddGrantAsync(new AddGrantRequest
        {
            From = "web-1",
            To = "db-1",
            Port = 53,
            Protocol = Protocol.Udp,
            Duration = Duration.FromTimeSpan(TimeSpan.FromHours(1)),
        })).Grant;

        using var watch = await db.WatchAsync();
        var rules = (await WatchReader.NextAsync(watch)).Snapshot.InboundRules.ToDictionary(r => r.Port);

        Assert.Equal(RuleKind.Policy, rules[5432].Kind);
        Assert.Equal("rule:web-db", rules[5432].AllowedBy);
        Assert.Equal(Protocol.Tcp, rules[5432].Protocol);
        Assert.Equal(RuleKind.Grant, rules[53].Kind);
        Assert.Equal("grant:" + grant.Id, rules[53].AllowedBy);
        Assert.Equal(Protocol.Udp, rules[53].Protocol);
    }
}
