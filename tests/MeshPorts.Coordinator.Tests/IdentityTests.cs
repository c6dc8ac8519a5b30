using System.Security.Cryptography;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests;

/// <summary>Who a node is: its name comes from its token, its grants follow its id, its WireGuard key is its own.</summary>
public sealed class IdentityTests
{
    private static AddGrantRequest Grant(string from, string to, uint port) => new()
    {
        From = from,
        To = to,
        Port = port,
        Protocol = Protocol.Tcp,
        Duration = Duration.FromTimeSpan(TimeSpan.FromHours(1)),
        Reason = "test",
    };

    private static async Task<uint> UsesLeftAsync(TestCoordinator c, string tokenId) =>
        (await c.Admin.ListTokensAsync(new ListTokensRequest())).Tokens.Single(t => t.Id == tokenId).UsesLeft;

    private static async Task<IReadOnlyList<string>> NodeNamesAsync(TestCoordinator c) =>
        [.. (await c.Admin.ListNodesAsync(new ListNodesRequest())).Nodes.Select(n => n.Name)];

    [Fact]
    public async Task Enroll_AskingForANameOtherThanTheTokens_IsRefusedAndTheTokenKeepsItsUse()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (token, _, secret) = await c.CreateTokenAsync("laptop");
        using var node = new TestNode(c);
        var ex = await Assert.ThrowsAsync<RpcException>(() => node.EnrollAsync(secret, "db"));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("this join token names the node 'laptop'; drop --name or ask for a token with --name db", ex.Status.Detail);
        Assert.Empty(await NodeNamesAsync(c));
        Assert.Equal(1u, await UsesLeftAsync(c, token.Id));

        var repeated = await node.EnrollAsync(secret, "laptop");
        Assert.Equal("laptop", repeated.Name);
    }

    [Fact]
    public async Task Enroll_FromAFleetToken_NamesNodesNodeNWithTheLowestFreeNumberAndRefusesAskedNames()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (token, _, secret) = await c.CreateTokenAsync("", tags: ["ci"], uses: 5);
        using var asking = new TestNode(c);
        var ex = await Assert.ThrowsAsync<RpcException>(() => asking.EnrollAsync(secret, "db"));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("drop --name or ask for a token with --name db", ex.Status.Detail);
        Assert.Equal(5u, await UsesLeftAsync(c, token.Id));

        using var a = new TestNode(c);
        using var b = new TestNode(c);
        using var d = new TestNode(c);
        Assert.Equal("node-1", (await a.EnrollAsync(secret, "")).Name);
        Assert.Equal("node-2", (await b.EnrollAsync(secret, "")).Name);
        await c.Admin.RemoveNodeAsync(new RemoveNodeRequest { Name = "node-1" });
        Assert.Equal("node-1", (await d.EnrollAsync(secret, "")).Name);
        Assert.NotEqual(b.Enrolled!.OverlayIpv4, d.Enrolled!.OverlayIpv4);
    }

    [Fact]
    public async Task FleetName_HeldByALiveNamedToken_IsSkipped()
    {
        await using var c = await TestCoordinator.StartAsync();
        await c.CreateTokenAsync("node-1");
        var (_, _, secret) = await c.CreateTokenAsync("", uses: 2);
        using var a = new TestNode(c);
        Assert.Equal("node-2", (await a.EnrollAsync(secret, "")).Name);
    }

    [Fact]
    public async Task TokenCreate_WithTheNameOfAnEnrolledNode_IsRefusedNamingTheFix()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var db = await c.EnrollAsync("db");
        var before = (await c.Admin.ListTokensAsync(new ListTokensRequest())).Tokens.Count;
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await c.Admin.CreateTokenAsync(new CreateTokenRequest { Name = "db" }));
        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Equal("a node named 'db' is enrolled; remove it first: meshctl nodes remove db", ex.Status.Detail);
        Assert.Equal(before, (await c.Admin.ListTokensAsync(new ListTokensRequest())).Tokens.Count);

        await c.Admin.RemoveNodeAsync(new RemoveNodeRequest { Name = "db" });
        Assert.Equal("db", (await c.Admin.CreateTokenAsync(new CreateTokenRequest { Name = "db" })).Token.Name);
    }

    [Fact]
    public async Task TokenCreate_WithTheNameOfALiveToken_IsRefusedUntilThatTokenIsRevoked()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (first, _, _) = await c.CreateTokenAsync("db");
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await c.Admin.CreateTokenAsync(new CreateTokenRequest { Name = "db" }));
        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Equal($"join token {first.Id} already names 'db'; revoke it first: meshctl token revoke {first.Id}", ex.Status.Detail);

        await c.Admin.RevokeTokenAsync(new RevokeTokenRequest { Id = first.Id });
        Assert.Equal("db", (await c.Admin.CreateTokenAsync(new CreateTokenRequest { Name = "db" })).Token.Name);
    }

    [Fact]
    public async Task TokenCreate_WithANameAndSeveralUses_IsRefused()
    {
        await using var c = await TestCoordinator.StartAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await c.Admin.CreateTokenAsync(new CreateTokenRequest { Name = "db", Uses = 3 }));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("drop --uses 3", ex.Status.Detail);
        Assert.Empty((await c.Admin.ListTokensAsync(new ListTokensRequest())).Tokens);
    }

    [Fact]
    public async Task TokenCreate_WithTtlOverTheCap_IsRefusedNamingTheCap()
    {
        await using var c = await TestCoordinator.StartAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await c.Admin.CreateTokenAsync(new CreateTokenRequest { Ttl = Duration.FromTimeSpan(TimeSpan.FromDays(8)) }));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("exceeds the cap of 168h", ex.Status.Detail);
        Assert.Contains("--max-token-ttl", ex.Status.Detail);
        Assert.Empty((await c.Admin.ListTokensAsync(new ListTokensRequest())).Tokens);

        var atCap = await c.Admin.CreateTokenAsync(new CreateTokenRequest { Ttl = Duration.FromTimeSpan(TimeSpan.FromDays(7)) });
        Assert.Equal(TimeSpan.FromDays(7), atCap.Token.ExpiresAt.ToDateTimeOffset() - atCap.Token.CreatedAt.ToDateTimeOffset());
    }

    [Fact]
    public async Task TokenTtlCap_IsConfigurable()
    {
        await using var c = await TestCoordinator.StartAsync(o => o.MaxTokenTtl = TimeSpan.FromHours(2));
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await c.Admin.CreateTokenAsync(new CreateTokenRequest { Ttl = Duration.FromTimeSpan(TimeSpan.FromHours(3)) }));
        Assert.Contains("exceeds the cap of 2h", ex.Status.Detail);
    }

    [Fact]
    public async Task RemoveNode_EndsEveryGrantNamingIt_AndAuditsEach()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var laptop = await c.EnrollAsync("laptop");
        using var db = await c.EnrollAsync("db");
        using var web = await c.EnrollAsync("web", tags: ["web"]);
        var toDb = (await c.Admin.AddGrantAsync(Grant("laptop", "db", 5432))).Grant;
        var fromDb = (await c.Admin.AddGrantAsync(Grant("db", "laptop", 22))).Grant;
        var other = (await c.Admin.AddGrantAsync(Grant("laptop", "tag:web", 80))).Grant;

        await c.Admin.RemoveNodeAsync(new RemoveNodeRequest { Name = "db" });

        var grants = (await c.Admin.ListGrantsAsync(new ListGrantsRequest { IncludeInactive = true })).Grants.ToDictionary(g => g.Id);
        Assert.True(grants[toDb.Id].Revoked && !grants[toDb.Id].Active);
        Assert.True(grants[fromDb.Id].Revoked && !grants[fromDb.Id].Active);
        Assert.True(grants[other.Id].Active, "a grant that does not name the removed node must stay");
        var ended = (await c.Admin.ListAuditAsync(new ListAuditRequest())).Events.Where(e => e.Kind == "grant.ended").ToList();
        Assert.Equal(new[] { fromDb.Id, toDb.Id }.Order(), ended.Select(e => e.Subject).Order());
        Assert.All(ended, e => Assert.Contains("node removed", e.DetailsJson));
        Assert.All(ended, e => Assert.Contains(db.Id, e.DetailsJson));
    }

    [Fact]
    public async Task NodeEnrolledUnderARemovedNodesName_InheritsNoneOfItsGrants()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var laptop = await c.EnrollAsync("laptop");
        using var oldDb = await c.EnrollAsync("db");
        await c.Admin.AddGrantAsync(Grant("laptop", "db", 5432));
        await c.Admin.AddGrantAsync(Grant("db", "laptop", 22));
        await c.Admin.RemoveNodeAsync(new RemoveNodeRequest { Name = "db" });

        using var newDb = await c.EnrollAsync("db");
        Assert.NotEqual(oldDb.Id, newDb.Id);
        var check = await c.Admin.CheckAccessAsync(new CheckAccessRequest { From = "laptop", To = "db", Port = 5432, Protocol = Protocol.Tcp });
        Assert.False(check.Allowed, check.Explanation);
        var back = await c.Admin.CheckAccessAsync(new CheckAccessRequest { From = "db", To = "laptop", Port = 22, Protocol = Protocol.Tcp });
        Assert.False(back.Allowed, back.Explanation);

        using var watch = await laptop.WatchAsync();
        var snapshot = (await WatchReader.NextAsync(watch)).Snapshot;
        Assert.Empty(snapshot.Peers);
        Assert.Empty(snapshot.InboundRules);
    }

    [Fact]
    public async Task GrantMatching_FollowsTheNodesId_NotOnlyItsName()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var laptop = await c.EnrollAsync("laptop");
        using var db = await c.EnrollAsync("db");
        await c.Admin.AddGrantAsync(Grant("laptop", "db", 5432));
        var check = await c.Admin.CheckAccessAsync(new CheckAccessRequest { From = "laptop", To = "db", Port = 5432, Protocol = Protocol.Tcp });
        Assert.True(check.Allowed, check.Explanation);
        using var watch = await laptop.WatchAsync();
        Assert.Equal(["db"], (await WatchReader.NextAsync(watch)).Snapshot.Peers.Select(p => p.Name));
    }

    [Fact]
    public async Task Grant_ForARemovedNode_IsRefused()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var laptop = await c.EnrollAsync("laptop");
        using var db = await c.EnrollAsync("db");
        await c.Admin.RemoveNodeAsync(new RemoveNodeRequest { Name = "db" });
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await c.Admin.AddGrantAsync(Grant("laptop", "db", 5432)));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("no such node", ex.Status.Detail);
        Assert.Empty((await c.Admin.ListGrantsAsync(new ListGrantsRequest { IncludeInactive = true })).Grants);
    }

    [Fact]
    public async Task Enroll_WithAnotherNodesWireGuardKey_IsRefusedAndTheVictimIsUnchanged()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var laptop = await c.EnrollAsync("laptop");
        using var victim = await c.EnrollAsync("db");
        await c.Admin.AddGrantAsync(Grant("laptop", "db", 5432));
        var (token, _, secret) = await c.CreateTokenAsync("evil");
        using var attacker = new TestNode(c) { WireGuardKey = victim.WireGuardKey };
        var ex = await Assert.ThrowsAsync<RpcException>(() => attacker.EnrollAsync(secret, ""));
        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Equal("this WireGuard public key belongs to another node; generate a fresh key pair", ex.Status.Detail);
        Assert.Equal(["db", "laptop"], await NodeNamesAsync(c));
        Assert.Equal(1u, await UsesLeftAsync(c, token.Id));

        using var watch = await laptop.WatchAsync();
        var peer = Assert.Single((await WatchReader.NextAsync(watch)).Snapshot.Peers);
        Assert.Equal("db", peer.Name);
        Assert.Equal(victim.WireGuardKey, peer.WireguardPublicKey.ToByteArray());
    }

    [Fact]
    public async Task RotateKey_ToAnotherNodesCurrentOrPreviousKey_IsRefusedAndTheVictimIsUnchanged()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var victim = await c.EnrollAsync("db");
        using var attacker = await c.EnrollAsync("evil");
        var victimsFirstKey = victim.WireGuardKey;
        var victimsNewKey = RandomNumberGenerator.GetBytes(32);

        // A peer that has not acked the victim's rotation keeps the victim's first key alive as its previous key.
        await c.Admin.AddGrantAsync(Grant("evil", "db", 5432));
        await victim.RotateAsync(victimsNewKey);
        var listed = (await c.Admin.GetNodeAsync(new GetNodeRequest { Name = "db" })).Node;
        Assert.Equal(Convert.ToBase64String(victimsNewKey), listed.PublicKey);

        foreach (var stolen in new[] { victimsNewKey, victimsFirstKey })
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => attacker.RotateAsync(stolen));
            Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
            Assert.Equal("this WireGuard public key belongs to another node; generate a fresh key pair", ex.Status.Detail);
        }

        var nodes = (await c.Admin.ListNodesAsync(new ListNodesRequest())).Nodes.ToDictionary(n => n.Name);
        Assert.Equal(Convert.ToBase64String(victimsNewKey), nodes["db"].PublicKey);
        Assert.Equal(Convert.ToBase64String(attacker.WireGuardKey), nodes["evil"].PublicKey);
    }

    [Theory]
    [InlineData("evil.example:53")]
    [InlineData("0.0.0.0:51820")]
    [InlineData("[::]:1")]
    [InlineData("1.2.3.4:0")]
    [InlineData("1.2.3.4:70000")]
    [InlineData("224.0.0.1:5")]
    [InlineData("255.255.255.255:9")]
    [InlineData("[ff02::1]:51820")]
    [InlineData("[::ffff:0.0.0.0]:51820")]
    [InlineData("127.1:51820")]
    [InlineData("2130706433:51820")]
    [InlineData("1.2.3.4")]
    [InlineData("2001:db8::1:51820")]
    [InlineData("[fe80::1%eth0]:51820")]
    [InlineData("1.2.3.4:+80")]
    [InlineData(" 1.2.3.4:80")]
    [InlineData("")]
    public async Task Enroll_WithAnEndpointThatIsNotAUsableAddress_IsRefusedAndTheTokenKeepsItsUse(string endpoint)
    {
        await using var c = await TestCoordinator.StartAsync();
        var (token, _, secret) = await c.CreateTokenAsync("n");
        using var node = new TestNode(c);
        var request = node.EnrollRequest(secret, "");
        request.Endpoints.Clear();
        request.Endpoints.Add(endpoint);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await c.Node.EnrollAsync(request));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("advertise", ex.Status.Detail);
        Assert.Empty(await NodeNamesAsync(c));
        Assert.Equal(1u, await UsesLeftAsync(c, token.Id));
    }

    [Fact]
    public async Task Enroll_WithMoreThan16Endpoints_IsRefused_AndWith16IsAccepted()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (token, _, secret) = await c.CreateTokenAsync("n");
        using var node = new TestNode(c);
        var request = node.EnrollRequest(secret, "");
        request.Endpoints.Clear();
        request.Endpoints.AddRange(Enumerable.Range(1, 17).Select(i => FormattableString.Invariant($"192.0.2.{i}:51820")));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await c.Node.EnrollAsync(request));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("at most 16", ex.Status.Detail);
        Assert.Equal(1u, await UsesLeftAsync(c, token.Id));

        var ok = node.EnrollRequest(secret, "");
        ok.Endpoints.Clear();
        ok.Endpoints.AddRange(Enumerable.Range(1, 15).Select(i => FormattableString.Invariant($"192.0.2.{i}:51820")));
        ok.Endpoints.Add("[2001:db8::1]:51820");
        Assert.Equal("n", (await c.Node.EnrollAsync(ok)).Name);
    }
}
