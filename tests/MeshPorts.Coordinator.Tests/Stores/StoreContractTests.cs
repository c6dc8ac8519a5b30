using System.Diagnostics;
using System.Security.Cryptography;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Tests.Support;
using Xunit.Abstractions;

namespace MeshPorts.Coordinator.Tests.Stores;

/// <summary>
/// The IStore contract, run on every store (a subclass per kind gives a fresh database per test). "Two writers"
/// are two store instances on one database, as two coordinator processes are: each has its own pool and its own
/// in-process lock, so only the database keeps them in step.
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    private readonly List<IStore> _opened = [];
    private string? _spec;

    protected StoreContractTests(ITestOutputHelper output)
    {
        Output = output;
    }

    protected ITestOutputHelper Output { get; }

    /// <summary>A --store value naming a fresh, empty database.</summary>
    protected abstract Task<string> NewDatabaseAsync();

    /// <summary>Runs <paramref name="sql"/> on the database behind the store and returns the first column of every row as text.</summary>
    protected abstract Task<IReadOnlyList<string>> ReadTextAsync(string spec, string sql);

    protected virtual Task DeleteDatabaseAsync(string spec) => Task.CompletedTask;

    protected string Spec => _spec ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync() => _spec = await NewDatabaseAsync();

    public async Task DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await store.DisposeAsync();
        }

        if (_spec is not null)
        {
            await DeleteDatabaseAsync(_spec);
        }
    }

    /// <summary>Another coordinator's store on this test's database, migrated.</summary>
    private protected async Task<IStore> OpenAsync()
    {
        var store = StoreSpec.Create(Spec);
        _opened.Add(store);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    private protected static GrantRecord Grant(string id, long created = 1) => new()
    {
        Id = id,
        Subject = Subject.Node("laptop"),
        Target = Subject.Node("db"),
        Port = 5432,
        Protocol = PortProtocol.Tcp,
        CreatedAt = created,
        ExpiresAt = created + 1,
    };

    private static TokenRecord Token(string id, int uses = 1, long expires = long.MaxValue) => new()
    {
        Id = id,
        SecretHash = RandomNumberGenerator.GetBytes(32),
        Name = "",
        UsesTotal = uses,
        UsesLeft = uses,
        CreatedAt = 1,
        ExpiresAt = expires,
    };

    private static NodeRecord Node(string id, string name, int index, string tokenId = "t1") => new()
    {
        Id = id,
        Name = name,
        MachineKey = RandomNumberGenerator.GetBytes(32),
        WireGuardKey = RandomNumberGenerator.GetBytes(32),
        KeyExpiresAt = 10,
        AddressIndex = index,
        EnrolledAt = 1,
        TokenId = tokenId,
    };

    private static PendingAudit Events(AuditLog log, string kind, IEnumerable<string> subjects)
    {
        var audit = log.Events();
        foreach (var s in subjects)
        {
            audit.And(kind, "scheduler", s, "ok", null);
        }

        return audit;
    }

    [Fact]
    public async Task Initialize_MigratesToTheLatestSchema_AgainAndFromTwoWritersAtOnce()
    {
        var stores = await Task.WhenAll(OpenAsync(), OpenAsync(), OpenAsync());
        await stores[0].InitializeAsync(CancellationToken.None);

        Assert.Equal("ok", await stores[1].CheckIntegrityAsync(CancellationToken.None));
        Assert.Equal(["4"], await ReadTextAsync(Spec, "SELECT CAST(version AS TEXT) FROM schema_version;"));
    }

    [Fact]
    public async Task Change_WhoseEventCannotBeWritten_IsNotStored()
    {
        var store = await OpenAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            store.Grants.InsertAsync(Grant("g1"), new PendingAudit(new FailingSealer()).And("grant.added", "admin", "g1", "ok", null), CancellationToken.None));

        Assert.Empty(await store.Grants.ListAsync(CancellationToken.None));
        Assert.Equal(0, await store.Audit.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Change_ThatDoesNotHappen_WritesNoEvent()
    {
        var store = await OpenAsync();
        using var log = TestAudit.Over(store.Audit);

        Assert.False(await store.Grants.RevokeAsync("g_missing", 5, log.Event("grant.revoked", "admin", "g_missing", "ok", null), CancellationToken.None));
        Assert.False(await store.Tokens.RevokeAsync("t_missing", log.Event("token.revoked", "admin", "t_missing", "ok", null), CancellationToken.None));
        Assert.Equal(EnrollOutcome.TokenUnknown,
            await store.Nodes.EnrollAsync("t_missing", 1, Node("n1", "laptop", 1), log.Event("node.enrolled", "node:laptop", "laptop", "ok", null), CancellationToken.None));
        Assert.False(await store.Nodes.DeleteAsync("n_missing", [], 1, log.Event("node.removed", "admin", "n_missing", "ok", null), CancellationToken.None));
        Assert.Empty(await store.Grants.MarkExpiryAuditedAsync(["g_missing"], log.Event("grant.expired", "scheduler", "g_missing", "ok", null), CancellationToken.None));

        Assert.Equal(0, await store.Audit.CountAsync(CancellationToken.None));
        Assert.Equal(0, await store.Changes.LatestAsync(CancellationToken.None));
        Assert.Empty(await store.Nodes.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task OneChange_WithSeveralEvents_CommitsThemTogetherUnderOneHead()
    {
        var store = await OpenAsync();
        using var log = TestAudit.Over(store.Audit);
        var pending = log.Event("grant.added", "admin", "g1", "ok", null).And("note", "admin", "g1", "ok", new { n = 2 });

        await store.Grants.InsertAsync(Grant("g1"), pending, CancellationToken.None);

        var stored = await store.Audit.ListAsync(0, 0, 10, CancellationToken.None);
        Assert.Equal(["grant.added", "note"], stored.Select(r => r.Kind));
        Assert.Equal(stored, pending.Sealed!.Records);
        Assert.Equal(stored[0].Hash, stored[1].PrevHash);
        var head = await store.Audit.GetHeadAsync(CancellationToken.None);
        Assert.Equal((2L, stored[1].Hash), (head!.Seq, head.Hash));
        Assert.Equal(stored[1], await store.Audit.GetLastAsync(CancellationToken.None));
        Assert.Equal(2, await store.Changes.LatestAsync(CancellationToken.None));
        Assert.True((await log.VerifyAsync()).Ok);
    }

    [Fact]
    public async Task TwoWriters_OnOneDatabase_KeepOneChain()
    {
        // The chain is read inside each write transaction, so neither writer can fork it from a stale last event.
        var seed = RandomNumberGenerator.GetBytes(32);
        var stores = new[] { await OpenAsync(), await OpenAsync() };
        using var log1 = TestAudit.Over(stores[0].Audit, seed);
        using var log2 = TestAudit.Over(stores[1].Audit, seed);
        var writers = new[] { (stores[0], log1, "a"), (stores[1], log2, "b") }.Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 60; i++)
            {
                var id = $"g_{w.Item3}{i}";
                await w.Item1.Grants.InsertAsync(Grant(id), w.Item2.Event("grant.added", "admin", id, "ok", null).And("grant.note", "admin", id, "ok", null), CancellationToken.None);
            }
        }));
        await Task.WhenAll(writers);

        var verification = await log1.VerifyAsync();
        Assert.True(verification.Ok, verification.Problem);
        Assert.Equal(240, verification.Checked);
        var events = await stores[1].Audit.ListAsync(0, 0, 1000, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 240).Select(i => (long)i), events.Select(e => e.Seq));
        for (var i = 0; i < events.Count; i += 2)
        {
            // A transaction's events stay next to each other.
            Assert.Equal((events[i].Subject, "grant.note"), (events[i + 1].Subject, events[i + 1].Kind));
        }

        Assert.Equal(120, (await stores[0].Grants.ListAsync(CancellationToken.None)).Count);
        Assert.Equal("ok", await stores[0].CheckIntegrityAsync(CancellationToken.None));
    }

    [Fact]
    public async Task GrantExpiry_SeenByTwoWriters_IsAuditedExactlyOnce()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var a = await OpenAsync();
        var b = await OpenAsync();
        using var logA = TestAudit.Over(a.Audit, seed);
        using var logB = TestAudit.Over(b.Audit, seed);
        foreach (var id in new[] { "g1", "g2", "g3" })
        {
            await a.Grants.InsertAsync(Grant(id), logA.Event("grant.added", "admin", id, "ok", null), CancellationToken.None);
        }

        var first = await a.Grants.MarkExpiryAuditedAsync(["g2"], Events(logA, "grant.expired", ["g2"]), CancellationToken.None);
        var results = await Task.WhenAll(
            a.Grants.MarkExpiryAuditedAsync(["g1", "g2", "g3"], Events(logA, "grant.expired", ["g1", "g2", "g3"]), CancellationToken.None),
            b.Grants.MarkExpiryAuditedAsync(["g1", "g2", "g3"], Events(logB, "grant.expired", ["g1", "g2", "g3"]), CancellationToken.None));
        var again = await b.Grants.MarkExpiryAuditedAsync(["g1", "g2", "g3"], Events(logB, "grant.expired", ["g1", "g2", "g3"]), CancellationToken.None);

        Assert.Equal(["g2"], first);
        Assert.Equal(["g1", "g3"], results.SelectMany(r => r).Order(StringComparer.Ordinal));
        Assert.Empty(again);
        var expired = (await a.Audit.ListAsync(0, 0, 100, CancellationToken.None)).Where(e => e.Kind == "grant.expired").Select(e => e.Subject);
        Assert.Equal(["g1", "g2", "g3"], expired.Order(StringComparer.Ordinal));
        Assert.All(await b.Grants.ListAsync(CancellationToken.None), g => Assert.True(g.ExpiryAudited));
        var verification = await logB.VerifyAsync();
        Assert.True(verification.Ok, verification.Problem);
    }

    [Fact]
    public async Task ManyExpiries_RacedByTwoWriters_AreEachAuditedOnce()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var a = await OpenAsync();
        var b = await OpenAsync();
        using var logA = TestAudit.Over(a.Audit, seed);
        using var logB = TestAudit.Over(b.Audit, seed);
        var ids = Enumerable.Range(0, 40).Select(i => $"g{i:00}").ToList();
        foreach (var id in ids)
        {
            await a.Grants.InsertAsync(Grant(id), logA.Event("grant.added", "admin", id, "ok", null), CancellationToken.None);
        }

        // Each writer walks the ids in its own order, one at a time, as schedulers on two replicas would.
        var marked = await Task.WhenAll(
            Task.Run(async () => { var m = new List<string>(); foreach (var id in ids) { m.AddRange(await a.Grants.MarkExpiryAuditedAsync([id], Events(logA, "grant.expired", [id]), CancellationToken.None)); } return m; }),
            Task.Run(async () => { var m = new List<string>(); foreach (var id in Enumerable.Reverse(ids)) { m.AddRange(await b.Grants.MarkExpiryAuditedAsync([id], Events(logB, "grant.expired", [id]), CancellationToken.None)); } return m; }));

        Assert.Equal(ids, marked.SelectMany(m => m).Order(StringComparer.Ordinal));
        var expired = (await a.Audit.ListAsync(0, 0, 1000, CancellationToken.None)).Where(e => e.Kind == "grant.expired").Select(e => e.Subject);
        Assert.Equal(ids, expired.Order(StringComparer.Ordinal));
        Output.WriteLine($"writer A audited {marked[0].Count}, writer B {marked[1].Count} of {ids.Count}");
        Assert.True((await logA.VerifyAsync()).Ok);
    }

    [Fact]
    public async Task KeyExpiry_IsAuditedOncePerKey_AndAgainForTheNextKey()
    {
        var store = await OpenAsync();
        using var log = TestAudit.Over(store.Audit);
        await store.Tokens.InsertAsync(Token("t1"), log.Event("token.created", "admin", "t1", "ok", null), CancellationToken.None);
        Assert.Equal(EnrollOutcome.Enrolled, await store.Nodes.EnrollAsync("t1", 2, Node("n1", "laptop", 1), log.Event("node.enrolled", "node:laptop", "laptop", "ok", null), CancellationToken.None));
        Assert.False((await store.Nodes.ListAsync(CancellationToken.None))[0].KeyExpiryAudited);

        Assert.Equal(["n1"], await store.Nodes.MarkKeyExpiryAuditedAsync([("n1", 10)], log.Event("key.expired", "scheduler", "laptop", "ok", null), CancellationToken.None));
        Assert.Empty(await store.Nodes.MarkKeyExpiryAuditedAsync([("n1", 10)], log.Event("key.expired", "scheduler", "laptop", "ok", null), CancellationToken.None));
        Assert.True((await store.Nodes.ListAsync(CancellationToken.None))[0].KeyExpiryAudited);

        await store.Nodes.RotateKeyAsync("n1", RandomNumberGenerator.GetBytes(32), new byte[32], 20, [], log.Event("key.rotated", "node:laptop", "laptop", "ok", null), CancellationToken.None);
        Assert.False((await store.Nodes.ListAsync(CancellationToken.None))[0].KeyExpiryAudited);
        Assert.Empty(await store.Nodes.MarkKeyExpiryAuditedAsync([("n1", 10)], log.Event("key.expired", "scheduler", "laptop", "ok", null), CancellationToken.None));
        Assert.Equal(["n1"], await store.Nodes.MarkKeyExpiryAuditedAsync([("n1", 20)], log.Event("key.expired", "scheduler", "laptop", "ok", null), CancellationToken.None));

        Assert.True(await store.Nodes.FinishRotationWaitsAsync("n1", [], log.Event("key.rotation_finished", "scheduler", "laptop", "ok", null), CancellationToken.None));
        Assert.True((await store.Nodes.ListAsync(CancellationToken.None))[0].KeyExpiryAudited);

        var kinds = (await store.Audit.ListAsync(0, 0, 100, CancellationToken.None)).Select(e => e.Kind).ToList();
        Assert.Equal(["token.created", "node.enrolled", "key.expired", "key.rotated", "key.expired", "key.rotation_finished"], kinds);
    }

    [Fact]
    public async Task SingleUseToken_RacedByTwoWriters_EnrollsExactlyOne()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var a = await OpenAsync();
        var b = await OpenAsync();
        using var logA = TestAudit.Over(a.Audit, seed);
        using var logB = TestAudit.Over(b.Audit, seed);
        for (var round = 0; round < 10; round++)
        {
            var token = $"t{round}";
            await a.Tokens.InsertAsync(Token(token), logA.Event("token.created", "admin", token, "ok", null), CancellationToken.None);
            var outcomes = await Task.WhenAll(
                Task.Run(() => a.Nodes.EnrollAsync(token, 2, Node($"na{round}", $"a{round}", (round * 2) + 1, token), logA.Event("node.enrolled", "node", $"a{round}", "ok", null), CancellationToken.None)),
                Task.Run(() => b.Nodes.EnrollAsync(token, 2, Node($"nb{round}", $"b{round}", (round * 2) + 2, token), logB.Event("node.enrolled", "node", $"b{round}", "ok", null), CancellationToken.None)));
            Assert.Equal([EnrollOutcome.Enrolled, EnrollOutcome.TokenUsedUp], outcomes.Order());
        }

        Assert.Equal(10, (await b.Nodes.ListAsync(CancellationToken.None)).Count);
        Assert.All(await a.Tokens.ListAsync(CancellationToken.None), t => Assert.Equal(0, t.UsesLeft));
        Assert.Equal(10, (await a.Audit.ListAsync(0, 0, 100, CancellationToken.None)).Count(e => e.Kind == "node.enrolled"));
        Assert.True((await logB.VerifyAsync()).Ok);
    }

    [Fact]
    public async Task Enroll_OfATakenNameKeyOrAddress_IsAConflict_AndLeavesTheTokenUnused()
    {
        var store = await OpenAsync();
        using var log = TestAudit.Over(store.Audit);
        await store.Tokens.InsertAsync(Token("t1", uses: 5), log.Event("token.created", "admin", "t1", "ok", null), CancellationToken.None);
        var first = Node("n1", "laptop", 1);
        Assert.Equal(EnrollOutcome.Enrolled, await store.Nodes.EnrollAsync("t1", 2, first, log.Event("node.enrolled", "node", "laptop", "ok", null), CancellationToken.None));

        NodeRecord[] clashes = [Node("n2", "laptop", 2), Node("n3", "other", 1), Node("n4", "third", 3) with { MachineKey = first.MachineKey }];
        foreach (var clash in clashes)
        {
            await Assert.ThrowsAsync<EnrollConflictException>(() =>
                store.Nodes.EnrollAsync("t1", 2, clash, log.Event("node.enrolled", "node", clash.Name, "ok", null), CancellationToken.None));
        }

        Assert.Equal(4, (await store.Tokens.ListAsync(CancellationToken.None))[0].UsesLeft);
        Assert.Single(await store.Nodes.ListAsync(CancellationToken.None));
        Assert.Equal(2, await store.Audit.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Enroll_SaysWhyATokenCannotBeUsed()
    {
        var store = await OpenAsync();
        using var log = TestAudit.Over(store.Audit);
        await store.Tokens.InsertAsync(Token("t_expired", expires: 5), log.Event("token.created", "admin", "t_expired", "ok", null), CancellationToken.None);
        await store.Tokens.InsertAsync(Token("t_revoked"), log.Event("token.created", "admin", "t_revoked", "ok", null), CancellationToken.None);
        Assert.True(await store.Tokens.RevokeAsync("t_revoked", log.Event("token.revoked", "admin", "t_revoked", "ok", null), CancellationToken.None));

        Assert.Equal(EnrollOutcome.TokenExpired, await store.Nodes.EnrollAsync("t_expired", 5, Node("n1", "a", 1, "t_expired"), log.Event("node.enrolled", "node", "a", "ok", null), CancellationToken.None));
        Assert.Equal(EnrollOutcome.TokenRevoked, await store.Nodes.EnrollAsync("t_revoked", 2, Node("n2", "b", 2, "t_revoked"), log.Event("node.enrolled", "node", "b", "ok", null), CancellationToken.None));
        var tokens = await store.Tokens.ListAsync(CancellationToken.None);
        Assert.True(tokens.Single(t => t.Id == "t_revoked").Revoked);
        Assert.Equal(1, tokens.Single(t => t.Id == "t_expired").UsesLeft);
        var found = await store.Tokens.FindBySecretHashAsync(tokens.Single(t => t.Id == "t_expired").SecretHash, CancellationToken.None);
        Assert.Equal("t_expired", found!.Id);
        Assert.Null(await store.Tokens.FindBySecretHashAsync(new byte[32], CancellationToken.None));
    }

    [Fact]
    public async Task Records_RoundTrip_AsWritten()
    {
        var store = await OpenAsync();
        using var log = TestAudit.Over(store.Audit);
        var token = Token("t1", uses: 3) with { Name = "", User = "alice@example.com", Tags = ["dev", "db"], CreatedAt = 7, ExpiresAt = 99 };
        await store.Tokens.InsertAsync(token, log.Event("token.created", "admin", "t1", "ok", null), CancellationToken.None);
        var node = Node("n1", "laptop", 7) with
        {
            User = "alice@example.com",
            Tags = ["dev", "db"],
            Services = [new ServiceRecord(5432, PortProtocol.Tcp, "postgres main"), new ServiceRecord(53, PortProtocol.Udp, "dns")],
            Endpoints = ["192.0.2.1:51820", "[2001:db8::1]:51820"],
            KeyExpiresAt = 1_800_000_000_000,
            EnrolledAt = 1_700_000_000_000,
        };
        Assert.Equal(EnrollOutcome.Enrolled, await store.Nodes.EnrollAsync("t1", 8, node, log.Event("node.enrolled", "node", "laptop", "ok", null), CancellationToken.None));
        GrantRecord[] grants =
        [
            new() { Id = "g_node", Subject = Subject.Node("laptop"), Target = Subject.Node("db"), SubjectNodeId = "n_laptop", TargetNodeId = "n_db",
                Port = 5432, Protocol = PortProtocol.Tcp, CreatedAt = 1, ExpiresAt = 2, Reason = "debugging" },
            new() { Id = "g_user", Subject = Subject.User("alice@example.com"), Target = Subject.Tag("dns"), Port = 53, Protocol = PortProtocol.Udp,
                CreatedAt = 3, ExpiresAt = 4 },
        ];
        foreach (var grant in grants)
        {
            await store.Grants.InsertAsync(grant, log.Event("grant.added", "test", grant.Id, "ok", null), CancellationToken.None);
        }

        await store.Policies.SaveAsync(new PolicyRecord("rule a: x -> y:22/tcp\n", "h1", 10), log.Event("policy.applied", "admin", "h1", "ok", null), CancellationToken.None);
        await store.Policies.SaveAsync(new PolicyRecord("rule b: x -> y:80/tcp\n", "h2", 11), log.Event("policy.applied", "admin", "h2", "ok", null), CancellationToken.None);

        var storedToken = Assert.Single(await store.Tokens.ListAsync(CancellationToken.None));
        Assert.Equal(token with { UsesLeft = 2, SecretHash = storedToken.SecretHash, Tags = storedToken.Tags }, storedToken);
        Assert.Equal(token.SecretHash, storedToken.SecretHash);
        Assert.Equal(token.Tags, storedToken.Tags);
        var storedNode = Assert.Single(await store.Nodes.ListAsync(CancellationToken.None));
        Assert.Equal((node.Id, node.Name, node.User, node.KeyExpiresAt, node.EnrolledAt, node.AddressIndex), (storedNode.Id, storedNode.Name, storedNode.User, storedNode.KeyExpiresAt, storedNode.EnrolledAt, storedNode.AddressIndex));
        Assert.Equal(node.Tags, storedNode.Tags);
        Assert.Equal(node.Services, storedNode.Services);
        Assert.Equal(node.Endpoints, storedNode.Endpoints);
        Assert.Equal(node.MachineKey, storedNode.MachineKey);
        Assert.Equal(node.WireGuardKey, storedNode.WireGuardKey);
        Assert.Null(storedNode.PreviousWireGuardKey);
        Assert.Equal(grants, await store.Grants.ListAsync(CancellationToken.None));
        Assert.Equal(new PolicyRecord("rule b: x -> y:80/tcp\n", "h2", 11), await store.Policies.GetCurrentAsync(CancellationToken.None));
        Assert.Equal(["laptop db tcp", "user:alice@example.com tag:dns udp"],
            await ReadTextAsync(Spec, "SELECT subject || ' ' || target || ' ' || protocol FROM grants ORDER BY created_at;"));
    }

    [Fact]
    public async Task AppliedSerial_IsStoredWithItsEvent_AndKeepsItsHighBits()
    {
        var store = await OpenAsync();
        using var log = TestAudit.Over(store.Audit);
        await store.Tokens.InsertAsync(Token("t1", uses: 2), log.Event("token.created", "admin", "t1", "ok", null), CancellationToken.None);
        await store.Nodes.EnrollAsync("t1", 2, Node("n1", "a", 1), log.Event("node.enrolled", "node", "a", "ok", null), CancellationToken.None);
        await store.Nodes.EnrollAsync("t1", 2, Node("n2", "b", 2), log.Event("node.enrolled", "node", "b", "ok", null), CancellationToken.None);

        // Serials carry the feed's epoch in their high 32 bits.
        await store.Nodes.UpdateAppliedSerialAsync("n1", 5, log.Event("delta.acked", "node:a", "a", "ok", null), CancellationToken.None);
        await store.Nodes.UpdateAppliedSerialAsync("n2", (1UL << 40) + 3, log.Event("delta.acked", "node:b", "b", "ok", null), CancellationToken.None);

        var nodes = (await store.Nodes.ListAsync(CancellationToken.None)).ToDictionary(n => n.Id);
        Assert.Equal(5UL, nodes["n1"].AppliedSerial);
        Assert.Equal((1UL << 40) + 3, nodes["n2"].AppliedSerial);
        Assert.Equal("delta.acked", (await store.Audit.GetLastAsync(CancellationToken.None))!.Kind);
    }

    [Fact]
    public async Task Settings_GetOrAdd_KeepsTheFirst_AndIncrement_IsUniqueAcrossWriters()
    {
        var a = await OpenAsync();
        var b = await OpenAsync();
        Assert.Null(await a.Settings.GetAsync("ula_prefix", CancellationToken.None));
        Assert.Equal("fd00:1::/48", await a.Settings.GetOrAddAsync("ula_prefix", "fd00:1::/48", CancellationToken.None));
        Assert.Equal("fd00:1::/48", await b.Settings.GetOrAddAsync("ula_prefix", "fd00:2::/48", CancellationToken.None));

        var values = await Task.WhenAll(new[] { a, b }.Select(s => Task.Run(async () =>
        {
            var got = new List<long>();
            for (var i = 0; i < 25; i++)
            {
                got.Add(await s.Settings.IncrementAsync("feed_epoch", CancellationToken.None));
            }

            return got;
        })));

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), values.SelectMany(v => v).Order());
        Assert.Equal("50", await b.Settings.GetAsync("feed_epoch", CancellationToken.None));
    }

    [Fact]
    public async Task RotationWaits_FinishedByTwoWriters_FinishOnceAndOnlyWhenNoneIsLeft()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var a = await OpenAsync();
        var b = await OpenAsync();
        using var logA = TestAudit.Over(a.Audit, seed);
        using var logB = TestAudit.Over(b.Audit, seed);
        await a.Tokens.InsertAsync(Token("t1", uses: 10), logA.Event("token.created", "admin", "t1", "ok", null), CancellationToken.None);
        await a.Nodes.EnrollAsync("t1", 2, Node("x", "x", 1), logA.Event("node.enrolled", "node", "x", "ok", null), CancellationToken.None);
        for (var round = 0; round < 8; round++)
        {
            var peers = Enumerable.Range(0, 6).Select(i => $"p{i}").ToList();
            await a.Nodes.RotateKeyAsync("x", RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), 100 + round, peers,
                logA.Event("key.rotated", "node:x", "x", "ok", null), CancellationToken.None);
            Assert.Equal(peers, (await b.Nodes.ListRotationWaitsAsync(CancellationToken.None)).Select(w => w.PeerId));

            // Two replicas each drop the acks of the peers watching them, at once.
            var finished = await Task.WhenAll(
                Task.Run(() => a.Nodes.FinishRotationWaitsAsync("x", peers.Take(3).ToList(), logA.Event("key.rotation_finished", "s", "x", "ok", null), CancellationToken.None)),
                Task.Run(() => b.Nodes.FinishRotationWaitsAsync("x", peers.Skip(3).ToList(), logB.Event("key.rotation_finished", "s", "x", "ok", null), CancellationToken.None)));

            Assert.Equal([false, true], finished.Order());
            Assert.Empty(await a.Nodes.ListRotationWaitsAsync(CancellationToken.None));
            Assert.Null((await a.Nodes.ListAsync(CancellationToken.None))[0].PreviousWireGuardKey);
        }

        Assert.Equal(8, (await a.Audit.ListAsync(0, 0, 100, CancellationToken.None)).Count(e => e.Kind == "key.rotation_finished"));
    }

    [Fact]
    public async Task RemovingANode_EndsItsGrants_DropsItsWaits_AndClearsRotateRequests()
    {
        var store = await OpenAsync();
        using var log = TestAudit.Over(store.Audit);
        await store.Tokens.InsertAsync(Token("t1", uses: 2), log.Event("token.created", "admin", "t1", "ok", null), CancellationToken.None);
        await store.Nodes.EnrollAsync("t1", 2, Node("n1", "a", 1), log.Event("node.enrolled", "node", "a", "ok", null), CancellationToken.None);
        await store.Nodes.EnrollAsync("t1", 2, Node("n2", "b", 2), log.Event("node.enrolled", "node", "b", "ok", null), CancellationToken.None);
        await store.Grants.InsertAsync(Grant("g1"), log.Event("grant.added", "admin", "g1", "ok", null), CancellationToken.None);
        await store.Grants.InsertAsync(Grant("g2", created: 2), log.Event("grant.added", "admin", "g2", "ok", null), CancellationToken.None);
        await store.Nodes.RequestRotationAsync(["n1", "n2"], 42, log.Event("key.rotate_requested", "admin", "a", "ok", null).And("key.rotate_requested", "admin", "b", "ok", null), CancellationToken.None);
        Assert.All(await store.Nodes.ListAsync(CancellationToken.None), n => Assert.Equal(42, n.RotateRequestedAt));
        await store.Nodes.RotateKeyAsync("n2", RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), 50, ["n1"], log.Event("key.rotated", "node:b", "b", "ok", null), CancellationToken.None);
        Assert.Null((await store.Nodes.ListAsync(CancellationToken.None)).Single(n => n.Id == "n2").RotateRequestedAt);

        Assert.True(await store.Nodes.DeleteAsync("n1", ["g1"], 77, log.Event("node.removed", "admin", "a", "ok", null), CancellationToken.None));

        Assert.Equal(["n2"], (await store.Nodes.ListAsync(CancellationToken.None)).Select(n => n.Id));
        Assert.Empty(await store.Nodes.ListRotationWaitsAsync(CancellationToken.None));
        var grants = (await store.Grants.ListAsync(CancellationToken.None)).ToDictionary(g => g.Id);
        Assert.Equal((77L, (long?)null), (grants["g1"].RevokedAt!.Value, grants["g2"].RevokedAt));
        Assert.True(await store.Grants.RevokeAsync("g2", 80, log.Event("grant.revoked", "admin", "g2", "ok", null), CancellationToken.None));
        Assert.False(await store.Grants.RevokeAsync("g2", 81, log.Event("grant.revoked", "admin", "g2", "ok", null), CancellationToken.None));
        Assert.Equal(80, (await store.Grants.ListAsync(CancellationToken.None)).Single(g => g.Id == "g2").RevokedAt);
    }

    [Fact]
    public async Task ChangeFeed_AWriteThroughOneStore_WakesAWaiterOnAnother()
    {
        var a = await OpenAsync();
        var b = await OpenAsync();
        using var log = TestAudit.Over(a.Audit);
        Assert.Equal(0, await b.Changes.WaitAsync(0, TimeSpan.FromMilliseconds(300), CancellationToken.None));

        var wakes = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var before = await b.Changes.LatestAsync(CancellationToken.None);
            var waiting = b.Changes.WaitAsync(before, TimeSpan.FromSeconds(10), CancellationToken.None);
            await Task.Delay(150);
            Assert.False(waiting.IsCompleted, "the wait ended before anything changed");
            var watch = Stopwatch.StartNew();
            await a.Grants.InsertAsync(Grant($"g{i}"), log.Event("grant.added", "admin", $"g{i}", "ok", null), CancellationToken.None);
            var seen = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
            wakes.Add(watch.Elapsed.TotalMilliseconds);
            Assert.Equal(before + 1, seen);
        }

        Output.WriteLine($"{GetType().Name}: write through A -> WaitAsync on B returned after {string.Join(", ", wakes.Select(w => w.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)))} ms");
        Assert.All(wakes, w => Assert.True(w < 1000, $"a waiter on B woke {w:0} ms after the commit on A; the bound is 1 s"));
        Assert.Equal(5, await a.Changes.LatestAsync(CancellationToken.None));
    }

    private sealed class FailingSealer : IAuditSealer
    {
        public AuditEntry Entry(string kind, string actor, string subject, string outcome, object? details) => new(kind, actor, subject, outcome, "{}");

        public SealedAudit Seal(AuditRecord? last, IReadOnlyList<AuditEntry> entries) => throw new InvalidOperationException("the audit key is gone");

        public void Committed(SealedAudit sealedAudit) => throw new InvalidOperationException("never committed");
    }
}
