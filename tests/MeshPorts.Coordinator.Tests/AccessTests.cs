using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests;

public sealed class AccessTests
{
    private static AddGrantRequest Grant(string from, string to, uint port, TimeSpan duration) => new()
    {
        From = from,
        To = to,
        Port = port,
        Protocol = Protocol.Tcp,
        Duration = Duration.FromTimeSpan(duration),
        Reason = "test",
    };

    [Fact]
    public async Task Grant_WithUnknownSubject_IsRejectedAndNothingChanged()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var db = await c.EnrollAsync("db-1");
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await c.Admin.AddGrantAsync(Grant("tag:nosuch", "db-1", 5432, TimeSpan.FromHours(1))));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("tag:nosuch", ex.Status.Detail);
        var ex2 = await Assert.ThrowsAsync<RpcException>(async () => await c.Admin.AddGrantAsync(Grant("ghost", "db-1", 5432, TimeSpan.FromHours(1))));
        Assert.Contains("no such node", ex2.Status.Detail);
        Assert.Empty((await c.Admin.ListGrantsAsync(new ListGrantsRequest { IncludeInactive = true })).Grants);
    }

    [Fact]
    public async Task Grant_LongerThanCap_IsRejectedNamingTheCap()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await c.Admin.AddGrantAsync(Grant("a", "b", 22, TimeSpan.FromHours(25))));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("24h", ex.Status.Detail);
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await c.Admin.AddGrantAsync(new AddGrantRequest { From = "a", To = "b", Port = 22 }));
        Assert.Contains("--for is required", missing.Status.Detail);
        Assert.Empty((await c.Admin.ListGrantsAsync(new ListGrantsRequest { IncludeInactive = true })).Grants);
    }

    [Fact]
    public async Task Netmap_NodeSeesOnlyPeersItHasRuleOrGrantWith()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var web = await c.EnrollAsync("web-1", tags: ["web"]);
        using var db = await c.EnrollAsync("db-1", tags: ["db"]);
        using var other = await c.EnrollAsync("other");
        var policy = await c.Admin.ApplyPolicyAsync(new PolicyRequest { Text = "rule web-db: tag:web -> tag:db:5432/tcp\n" });
        Assert.True(policy.Ok, string.Join("; ", policy.Errors.Select(e => e.Message)));

        using var dbWatch = await db.WatchAsync();
        var snap = (await WatchReader.NextAsync(dbWatch)).Snapshot;
        Assert.Equal(["web-1"], snap.Peers.Select(p => p.Name));
        var rule = Assert.Single(snap.InboundRules);
        Assert.Equal(5432u, rule.Port);
        Assert.Equal("web-1", rule.SourceName);
        Assert.Contains(web.Enrolled!.OverlayIpv4 + "/32", rule.SourceAddresses);

        using var webWatch = await web.WatchAsync();
        var webSnap = (await WatchReader.NextAsync(webWatch)).Snapshot;
        Assert.Equal(["db-1"], webSnap.Peers.Select(p => p.Name));
        Assert.Empty(webSnap.InboundRules);

        using var otherWatch = await other.WatchAsync();
        var otherSnap = (await WatchReader.NextAsync(otherWatch)).Snapshot;
        Assert.Empty(otherSnap.Peers);
        Assert.Equal("other", otherSnap.Self.Name);
    }

    [Fact]
    public async Task Policy_Invalid_IsRejectedWithLineAndNothingChanged()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        var result = await c.Admin.ApplyPolicyAsync(new PolicyRequest { Text = "# comment\nrule ok: a -> tag:x:22/tcp\nrule bad a -> \nrule x: ghost -> a:22/tcp\n" });
        Assert.False(result.Ok);
        Assert.Contains(result.Errors, e => e.Line == 3);
        Assert.Contains(result.Errors, e => e.Line == 4 && e.Message.Contains("ghost"));
        Assert.Equal("", (await c.Admin.ShowPolicyAsync(new ShowPolicyRequest())).Text);
        Assert.Contains((await c.Admin.ListAuditAsync(new ListAuditRequest())).Events, e => e.Kind == "policy.rejected");
    }

    [Fact]
    public async Task Policy_WithFailingTest_IsNotApplied_AndPassingOneIs()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a", user: "alice");
        using var b = await c.EnrollAsync("b", tags: ["db"]);
        var failing = await c.Admin.ApplyPolicyAsync(new PolicyRequest { Text = "rule r: user:alice -> tag:db:5432/tcp\ntest deny a -> b:5432/tcp\n" });
        Assert.False(failing.Ok);
        Assert.False(Assert.Single(failing.Tests).Passed);
        Assert.Equal("", (await c.Admin.ShowPolicyAsync(new ShowPolicyRequest())).Text);

        var text = "rule r: user:alice -> tag:db:5432/tcp\ntest allow a -> b:5432/tcp\ntest deny b -> a:5432/tcp\n";
        var passing = await c.Admin.ApplyPolicyAsync(new PolicyRequest { Text = text });
        Assert.True(passing.Ok);
        Assert.Equal(text, (await c.Admin.ShowPolicyAsync(new ShowPolicyRequest())).Text);

        // policy test runs against the live rules and changes nothing.
        var live = await c.Admin.TestPolicyAsync(new PolicyRequest { Text = "test deny a -> b:5432/tcp\n" });
        Assert.False(live.Ok);
        Assert.Equal(text, (await c.Admin.ShowPolicyAsync(new ShowPolicyRequest())).Text);
    }

    [Fact]
    public async Task AccessCheck_ReportsGrantAndUntil_OrNothing()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        var denied = await c.Admin.CheckAccessAsync(new CheckAccessRequest { From = "a", To = "b", Port = 22, Protocol = Protocol.Tcp });
        Assert.False(denied.Allowed);
        var grant = (await c.Admin.AddGrantAsync(Grant("a", "b", 22, TimeSpan.FromHours(2)))).Grant;
        var allowed = await c.Admin.CheckAccessAsync(new CheckAccessRequest { From = "a", To = "b", Port = 22, Protocol = Protocol.Tcp });
        Assert.True(allowed.Allowed);
        Assert.Equal("grant:" + grant.Id, allowed.AllowedBy);
        Assert.Equal(grant.ExpiresAt, allowed.Until);
        var later = await c.Admin.CheckAccessAsync(new CheckAccessRequest
        {
            From = "a",
            To = "b",
            Port = 22,
            Protocol = Protocol.Tcp,
            At = Timestamp.FromDateTimeOffset(c.Time.GetUtcNow().AddHours(3)),
        });
        Assert.False(later.Allowed);
    }
}
