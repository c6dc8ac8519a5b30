using System.Globalization;
using System.Security.Cryptography;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Security.Tests.Support;

namespace MeshPorts.Security.Tests.Attacks;

/// <summary>
/// Attacks on who a node is, by someone holding a join token (any token, or one meant for another machine)
/// or an enrolled node's credentials: taking over a name and the grants that name it, asking for a name
/// the token does not give, copying another node's WireGuard key at enrollment or rotation, pointing peers'
/// handshakes at third parties with crafted endpoints, and the admin-side gaps that made it possible
/// (a second token for a taken name, tokens that live for ever). Each is refused and changes nothing.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class IdentityAttacks(CoordinatorFixture fixture) : IClassFixture<CoordinatorFixture>
{
    private const string KeyTaken = "this WireGuard public key belongs to another node; generate a fresh key pair";

    /// <summary>
    /// Attacks a removed node's name: `db` had a grant, was removed, and someone with another token (a fleet
    /// token, or one made for another machine) asks to be `db`. Refused; no `db` appears; the old grant stays ended.
    /// </summary>
    [Fact]
    public async Task EnrollAsARemovedNode_WithAnotherToken_IsRefusedAndInheritsNoGrants()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var db = AdminApi.UniqueName("db");
        var laptop = AdminApi.UniqueName("laptop");
        using var laptopNode = new IdentityNode(fixture.Coordinator);
        await laptopNode.EnrollAsync((await admin.TokenAsync(laptop)).Join);
        using var dbNode = new IdentityNode(fixture.Coordinator);
        await dbNode.EnrollAsync((await admin.TokenAsync(db)).Join);
        var grant = await admin.GrantAsync(laptop, db, 5432);
        await admin.RemoveAsync(db);

        var fleet = await admin.TokenAsync(uses: 3, tags: ["ci"]);
        var other = await admin.TokenAsync(AdminApi.UniqueName("kiosk"));
        foreach (var (token, join) in new[] { fleet, other })
        {
            using var attacker = new IdentityNode(fixture.Coordinator);
            var refused = await Assert.ThrowsAsync<RpcException>(() => attacker.EnrollAsync(join, db));
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            Assert.Contains("drop --name or ask for a token with --name " + db, refused.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(token.UsesTotal, (await admin.TokenByIdAsync(token.Id)).UsesLeft);
        }

        Assert.Null(await admin.NodeAsync(db));
        Assert.False((await admin.GrantsAsync()).Single(g => g.Id == grant.Id).Active);
        Assert.Empty(await admin.PeersOfAsync(laptop));
    }

    /// <summary>Attacks the name a token gives: a token made for `laptop` asks to be `db`. Refused, nothing enrolled, the token still works for `laptop`.</summary>
    [Fact]
    public async Task RequestedName_OtherThanTheTokensName_IsRefusedAndTheTokenStaysUsable()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var laptop = AdminApi.UniqueName("laptop");
        var db = AdminApi.UniqueName("db");
        var (token, join) = await admin.TokenAsync(laptop);
        var before = (await admin.NodesAsync()).Count;
        using var node = new IdentityNode(fixture.Coordinator);
        var refused = await Assert.ThrowsAsync<RpcException>(() => node.EnrollAsync(join, db));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal($"this join token names the node '{laptop}'; drop --name or ask for a token with --name {db}", refused.Status.Detail);
        Assert.Equal(before, (await admin.NodesAsync()).Count);
        Assert.Null(await admin.NodeAsync(db));
        Assert.Equal(1u, (await admin.TokenByIdAsync(token.Id)).UsesLeft);

        foreach (var spelling in new[] { laptop.ToUpperInvariant(), laptop + " ", laptop + "\0" })
        {
            var variant = await Assert.ThrowsAsync<RpcException>(() => node.EnrollAsync(join, spelling));
            Assert.Equal(StatusCode.InvalidArgument, variant.StatusCode);
        }

        // The refusals above count against that source's failure limit; the real laptop enrolls from its own.
        using var real = new IdentityNode(fixture.Coordinator);
        Assert.Equal(laptop, (await real.EnrollAsync(join)).Name);
    }

    /// <summary>Attacks grant creation for a node that no longer exists (a grant that would wait for the name to be taken again). Refused; no grant is stored.</summary>
    [Fact]
    public async Task Grant_ForARemovedNode_IsRefused()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var laptop = AdminApi.UniqueName("laptop");
        var db = AdminApi.UniqueName("db");
        using var laptopNode = new IdentityNode(fixture.Coordinator);
        await laptopNode.EnrollAsync((await admin.TokenAsync(laptop)).Join);
        using var dbNode = new IdentityNode(fixture.Coordinator);
        await dbNode.EnrollAsync((await admin.TokenAsync(db)).Join);
        await admin.RemoveAsync(db);
        var before = (await admin.GrantsAsync()).Count;

        var refused = await Assert.ThrowsAsync<RpcException>(() => admin.GrantAsync(laptop, db, 5432));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("no such node", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, (await admin.GrantsAsync()).Count);
    }

    /// <summary>
    /// Attacks a grant's binding to a name: laptop may reach db; db is removed (the grant ends, audited
    /// grant.ended), then a new db is enrolled from a new token. The old grant does not cover the new db,
    /// neither in CheckAccess nor in laptop's netmap.
    /// </summary>
    [Fact]
    public async Task GrantToARemovedNode_EndsAudited_AndDoesNotCoverTheNextNodeOfThatName()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var laptop = AdminApi.UniqueName("laptop");
        var db = AdminApi.UniqueName("db");
        using var laptopNode = new IdentityNode(fixture.Coordinator);
        await laptopNode.EnrollAsync((await admin.TokenAsync(laptop)).Join);
        using var oldDb = new IdentityNode(fixture.Coordinator);
        var oldId = (await oldDb.EnrollAsync((await admin.TokenAsync(db)).Join)).NodeId;
        var grant = await admin.GrantAsync(laptop, db, 5432);
        Assert.True((await admin.CheckAsync(laptop, db, 5432)).Allowed);
        Assert.Equal([db], await admin.PeersOfAsync(laptop));

        await admin.RemoveAsync(db);
        var ended = Assert.Single(await admin.RecentAuditAsync(), e => e.Kind == "grant.ended" && e.Subject == grant.Id);
        Assert.Contains("node removed", ended.DetailsJson, StringComparison.Ordinal);
        Assert.Contains(oldId, ended.DetailsJson, StringComparison.Ordinal);
        Assert.False((await admin.GrantsAsync()).Single(g => g.Id == grant.Id).Active);

        using var newDb = new IdentityNode(fixture.Coordinator);
        var newId = (await newDb.EnrollAsync((await admin.TokenAsync(db)).Join)).NodeId;
        Assert.NotEqual(oldId, newId);
        var check = await admin.CheckAsync(laptop, db, 5432);
        Assert.False(check.Allowed, check.Explanation);
        Assert.Empty(await admin.PeersOfAsync(laptop));
        Assert.Empty(await admin.PeersOfAsync(db));
    }

    /// <summary>Attacks peers' key-indexed config: a new node enrolls with the victim's WireGuard public key. Refused; the victim stays in every netmap with its key.</summary>
    [Fact]
    public async Task Enroll_WithTheVictimsWireGuardKey_IsRefusedAndTheVictimIsUnchanged()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var laptop = AdminApi.UniqueName("laptop");
        var victimName = AdminApi.UniqueName("db");
        using var laptopNode = new IdentityNode(fixture.Coordinator);
        await laptopNode.EnrollAsync((await admin.TokenAsync(laptop)).Join);
        using var victim = new IdentityNode(fixture.Coordinator);
        await victim.EnrollAsync((await admin.TokenAsync(victimName)).Join);
        await admin.GrantAsync(laptop, victimName, 5432);
        var victimBefore = await admin.NodeAsync(victimName);

        var evil = AdminApi.UniqueName("evil");
        var (token, join) = await admin.TokenAsync(evil);
        using var attacker = new IdentityNode(fixture.Coordinator, victim.WireGuardKey);
        var refused = await Assert.ThrowsAsync<RpcException>(() => attacker.EnrollAsync(join));
        Assert.Equal(StatusCode.AlreadyExists, refused.StatusCode);
        Assert.Equal(KeyTaken, refused.Status.Detail);

        Assert.Null(await admin.NodeAsync(evil));
        Assert.Equal(1u, (await admin.TokenByIdAsync(token.Id)).UsesLeft);
        var victimAfter = await admin.NodeAsync(victimName);
        Assert.Equal((victimBefore!.Id, victimBefore.PublicKey, victimBefore.OverlayIp), (victimAfter!.Id, victimAfter.PublicKey, victimAfter.OverlayIp));
        Assert.Equal([victimName], await admin.PeersOfAsync(laptop));
    }

    /// <summary>Attacks key rotation: an enrolled node rotates to the victim's current WireGuard key. Refused; both nodes keep their keys.</summary>
    [Fact]
    public async Task RotateKey_ToTheVictimsKey_IsRefusedAndBothKeepTheirKeys()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var victimName = AdminApi.UniqueName("db");
        var evil = AdminApi.UniqueName("evil");
        using var victim = new IdentityNode(fixture.Coordinator);
        await victim.EnrollAsync((await admin.TokenAsync(victimName)).Join);
        using var attacker = new IdentityNode(fixture.Coordinator);
        await attacker.EnrollAsync((await admin.TokenAsync(evil)).Join);

        var refused = await Assert.ThrowsAsync<RpcException>(() => attacker.RotateKeyAsync(victim.WireGuardKey));
        Assert.Equal(StatusCode.AlreadyExists, refused.StatusCode);
        Assert.Equal(KeyTaken, refused.Status.Detail);
        Assert.Equal(Convert.ToBase64String(victim.WireGuardKey), (await admin.NodeAsync(victimName))!.PublicKey);
        Assert.Equal(Convert.ToBase64String(attacker.WireGuardKey), (await admin.NodeAsync(evil))!.PublicKey);

        // The same node may still rotate to a key of its own.
        await attacker.RotateKeyAsync(RandomNumberGenerator.GetBytes(32));
    }

    /// <summary>Attacks the admin's naming: a second token for a name an enrolled node has, or a live token already carries. Refused with the fix; no token is made.</summary>
    [Fact]
    public async Task TokenCreate_ForATakenName_IsRefusedWithTheFix()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var db = AdminApi.UniqueName("db");
        using var dbNode = new IdentityNode(fixture.Coordinator);
        await dbNode.EnrollAsync((await admin.TokenAsync(db)).Join);
        var pending = AdminApi.UniqueName("pending");
        var (live, _) = await admin.TokenAsync(pending);
        var before = (await admin.Client.ListTokensAsync(new ListTokensRequest(), admin.Auth)).Tokens.Count;

        var enrolled = await Assert.ThrowsAsync<RpcException>(() => admin.TokenAsync(db));
        Assert.Equal(StatusCode.AlreadyExists, enrolled.StatusCode);
        Assert.Equal($"a node named '{db}' is enrolled; remove it first: meshctl nodes remove {db}", enrolled.Status.Detail);
        var carried = await Assert.ThrowsAsync<RpcException>(() => admin.TokenAsync(pending));
        Assert.Equal(StatusCode.AlreadyExists, carried.StatusCode);
        Assert.Equal($"join token {live.Id} already names '{pending}'; revoke it first: meshctl token revoke {live.Id}", carried.Status.Detail);
        var multi = await Assert.ThrowsAsync<RpcException>(() => admin.TokenAsync(AdminApi.UniqueName("twice"), uses: 2));
        Assert.Equal(StatusCode.InvalidArgument, multi.StatusCode);

        Assert.Equal(before, (await admin.Client.ListTokensAsync(new ListTokensRequest(), admin.Auth)).Tokens.Count);
    }

    /// <summary>Attacks token lifetime: a join string that stays valid for a year. Refused naming the cap (7d by default); no token is made.</summary>
    [Fact]
    public async Task TokenCreate_WithATtlOverTheCap_IsRefused()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var before = (await admin.Client.ListTokensAsync(new ListTokensRequest(), admin.Auth)).Tokens.Count;
        foreach (var ttl in new[] { TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1), TimeSpan.FromDays(365), TimeSpan.FromDays(3650) })
        {
            var refused = await Assert.ThrowsAsync<RpcException>(async () =>
                await admin.Client.CreateTokenAsync(new CreateTokenRequest { Ttl = Duration.FromTimeSpan(ttl) }, admin.Auth));
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            Assert.Contains("exceeds the cap of", refused.Status.Detail, StringComparison.Ordinal);
        }

        Assert.Equal(before, (await admin.Client.ListTokensAsync(new ListTokensRequest(), admin.Auth)).Tokens.Count);
    }

    public static TheoryData<string[]> BadEndpoints() =>
    [
        ["evil.example:53"],
        ["0.0.0.0:51820"],
        ["[::]:1"],
        ["1.2.3.4:0"],
        ["1.2.3.4:70000"],
        ["224.0.0.1:5"],
        ["255.255.255.255:9"],
        ["[ff02::1]:51820"],
        ["127.1:51820"],
        [new string('9', 100_000)],
        ["192.0.2.1:51820", "localhost:51820"],
        [.. Enumerable.Range(1, 17).Select(i => string.Create(CultureInfo.InvariantCulture, $"192.0.2.{i}:51820"))],
    ];

    /// <summary>
    /// Attacks peers' handshake targets: endpoints that are names (resolved by whoever the peer asks), unspecified,
    /// multicast or broadcast addresses, out-of-range ports, or too many of them. Refused; nothing enrolled; the token keeps its use.
    /// </summary>
    [Theory]
    [MemberData(nameof(BadEndpoints))]
    public async Task Enroll_WithEndpointsThatAreNotUsableAddresses_IsRefusedAndTheTokenKeepsItsUse(string[] endpoints)
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var name = AdminApi.UniqueName("ep");
        var (token, join) = await admin.TokenAsync(name);
        using var node = new IdentityNode(fixture.Coordinator);
        var refused = await Assert.ThrowsAsync<RpcException>(() => node.EnrollAsync(join, "", endpoints));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("advertise", refused.Status.Detail, StringComparison.Ordinal);
        Assert.True(refused.Status.Detail.Length < 400, "the refusal must not echo an oversized endpoint back");
        Assert.Null(await admin.NodeAsync(name));
        Assert.Equal(1u, (await admin.TokenByIdAsync(token.Id)).UsesLeft);

        Assert.Equal(name, (await node.EnrollAsync(join, "", "192.0.2.10:51820", "[2001:db8::1]:51820")).Name);
    }
}
