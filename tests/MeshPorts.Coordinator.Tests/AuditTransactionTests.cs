using System.Security.Cryptography;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Storage.Sqlite;
using MeshPorts.Coordinator.Tests.Support;
using Microsoft.Data.Sqlite;

namespace MeshPorts.Coordinator.Tests;

/// <summary>A change and the audit events that record it are one transaction: both are stored, or neither.</summary>
public sealed class AuditTransactionTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "mp-audit-tx-" + Guid.NewGuid().ToString("N") + ".db");

    private static GrantRecord Grant(string id) => new()
    {
        Id = id,
        Subject = Subject.Node("laptop"),
        Target = Subject.Node("db"),
        Port = 5432,
        Protocol = PortProtocol.Tcp,
        CreatedAt = 1,
        ExpiresAt = 2,
    };

    private async Task<SqliteDatabase> OpenAsync()
    {
        var db = new SqliteDatabase(_path);
        await SqliteMigrations.ApplyAsync(db, CancellationToken.None);
        return db;
    }

    [Fact]
    public async Task Change_WhoseEventCannotBeWritten_IsNotStored()
    {
        using var db = await OpenAsync();
        var grants = new SqliteGrantStore(db);
        var audit = new SqliteAuditStore(db);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            grants.InsertAsync(Grant("g1"), new PendingAudit(new FailingSealer()).And("grant.added", "admin", "g1", "ok", null), CancellationToken.None));

        Assert.Empty(await grants.ListAsync(CancellationToken.None));
        Assert.Equal(0, await audit.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Change_ThatDoesNotHappen_WritesNoEvent()
    {
        using var db = await OpenAsync();
        using var log = TestAudit.Over(new SqliteAuditStore(db));
        var grants = new SqliteGrantStore(db);
        var tokens = new SqliteTokenStore(db);
        var nodes = new SqliteNodeStore(db);

        Assert.False(await grants.RevokeAsync("g_missing", 5, log.Event("grant.revoked", "admin", "g_missing", "ok", null), CancellationToken.None));
        Assert.False(await tokens.RevokeAsync("t_missing", log.Event("token.revoked", "admin", "t_missing", "ok", null), CancellationToken.None));
        var node = new NodeRecord
        {
            Id = "n1",
            Name = "laptop",
            MachineKey = new byte[32],
            WireGuardKey = new byte[32],
            KeyExpiresAt = 10,
            AddressIndex = 1,
            EnrolledAt = 1,
            TokenId = "t_missing",
        };
        Assert.Equal(EnrollOutcome.TokenUnknown,
            await nodes.EnrollAsync("t_missing", 1, node, log.Event("node.enrolled", "node:laptop", "laptop", "ok", null), CancellationToken.None));
        Assert.False(await nodes.DeleteAsync("n_missing", [], 1, log.Event("node.removed", "admin", "n_missing", "ok", null), CancellationToken.None));

        Assert.Equal(0, await new SqliteAuditStore(db).CountAsync(CancellationToken.None));
        Assert.Empty(await nodes.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task OneChange_WithSeveralEvents_CommitsThemTogetherUnderOneHead()
    {
        using var db = await OpenAsync();
        var auditStore = new SqliteAuditStore(db);
        using var log = TestAudit.Over(auditStore);
        var pending = log.Event("grant.added", "admin", "g1", "ok", null).And("note", "admin", "g1", "ok", new { n = 2 });

        await new SqliteGrantStore(db).InsertAsync(Grant("g1"), pending, CancellationToken.None);

        var stored = await auditStore.ListAsync(0, 0, 10, CancellationToken.None);
        Assert.Equal(["grant.added", "note"], stored.Select(r => r.Kind));
        Assert.Equal(stored, pending.Sealed!.Records);
        Assert.Equal(stored[0].Hash, stored[1].PrevHash);
        var head = await auditStore.GetHeadAsync(CancellationToken.None);
        Assert.Equal((2L, stored[1].Hash), (head!.Seq, head.Hash));
        Assert.True((await log.VerifyAsync()).Ok);
    }

    [Fact]
    public async Task TwoWriters_WithTheirOwnLocks_OnOneDatabase_KeepOneChain()
    {
        // Two databases objects with separate write locks stand for two coordinator processes on one store: the
        // chain is read inside each write transaction, so neither can fork it from a stale copy of the last event.
        var seed = RandomNumberGenerator.GetBytes(32);
        using var db1 = await OpenAsync();
        using var db2 = new SqliteDatabase(_path);
        using var log1 = TestAudit.Over(new SqliteAuditStore(db1), seed);
        using var log2 = TestAudit.Over(new SqliteAuditStore(db2), seed);
        var writers = new[] { (db1, log1, "a"), (db2, log2, "b") }.Select(w => Task.Run(async () =>
        {
            var grants = new SqliteGrantStore(w.Item1);
            for (var i = 0; i < 60; i++)
            {
                var id = $"g_{w.Item3}{i}";
                await grants.InsertAsync(Grant(id), w.Item2.Event("grant.added", "admin", id, "ok", null).And("grant.note", "admin", id, "ok", null), CancellationToken.None);
            }
        }));
        await Task.WhenAll(writers);

        var verification = await log1.VerifyAsync();
        Assert.True(verification.Ok, verification.Problem);
        Assert.Equal(240, verification.Checked);
        var events = await new SqliteAuditStore(db1).ListAsync(0, 0, 1000, CancellationToken.None);
        for (var i = 0; i < events.Count; i += 2)
        {
            // A transaction's events stay next to each other.
            Assert.Equal((events[i].Subject, "grant.note"), (events[i + 1].Subject, events[i + 1].Kind));
        }
    }

    [Fact]
    public async Task GrantExpiry_SeenByTwoWriters_IsAuditedExactlyOnce()
    {
        // Two replicas' schedulers both see g1..g3 end; each marks and audits only what the other has not.
        var seed = RandomNumberGenerator.GetBytes(32);
        using var db1 = await OpenAsync();
        using var db2 = new SqliteDatabase(_path);
        using var log1 = TestAudit.Over(new SqliteAuditStore(db1), seed);
        using var log2 = TestAudit.Over(new SqliteAuditStore(db2), seed);
        var grants1 = new SqliteGrantStore(db1);
        var grants2 = new SqliteGrantStore(db2);
        foreach (var id in new[] { "g1", "g2", "g3" })
        {
            await grants1.InsertAsync(Grant(id), log1.Event("grant.added", "admin", id, "ok", null), CancellationToken.None);
        }

        PendingAudit Expired(AuditLog log, IEnumerable<string> ids)
        {
            var audit = log.Events();
            foreach (var id in ids)
            {
                audit.And("grant.expired", "scheduler", id, "ok", null);
            }

            return audit;
        }

        var first = await grants1.MarkExpiryAuditedAsync(["g2"], Expired(log1, ["g2"]), CancellationToken.None);
        var results = await Task.WhenAll(
            grants1.MarkExpiryAuditedAsync(["g1", "g2", "g3"], Expired(log1, ["g1", "g2", "g3"]), CancellationToken.None),
            grants2.MarkExpiryAuditedAsync(["g1", "g2", "g3"], Expired(log2, ["g1", "g2", "g3"]), CancellationToken.None));
        var again = await grants2.MarkExpiryAuditedAsync(["g1", "g2", "g3"], Expired(log2, ["g1", "g2", "g3"]), CancellationToken.None);

        Assert.Equal(["g2"], first);
        Assert.Equal(["g1", "g3"], results.SelectMany(r => r).Order(StringComparer.Ordinal));
        Assert.Empty(again);
        var events = await new SqliteAuditStore(db1).ListAsync(0, 0, 100, CancellationToken.None);
        var expired = events.Where(e => e.Kind == "grant.expired").Select(e => e.Subject).ToList();
        Assert.Equal(["g1", "g2", "g3"], expired.Order(StringComparer.Ordinal));
        Assert.All(await grants2.ListAsync(CancellationToken.None), g => Assert.True(g.ExpiryAudited));
        var verification = await log2.VerifyAsync();
        Assert.True(verification.Ok, verification.Problem);
    }

    [Fact]
    public async Task KeyExpiry_IsAuditedOncePerKey_AndAgainForTheNextKey()
    {
        using var db = await OpenAsync();
        using var log = TestAudit.Over(new SqliteAuditStore(db));
        var tokens = new SqliteTokenStore(db);
        var nodes = new SqliteNodeStore(db);
        await tokens.InsertAsync(new TokenRecord
        {
            Id = "t1",
            SecretHash = RandomNumberGenerator.GetBytes(32),
            Name = "laptop",
            UsesTotal = 1,
            UsesLeft = 1,
            CreatedAt = 1,
            ExpiresAt = long.MaxValue,
        }, log.Event("token.created", "admin", "t1", "ok", null), CancellationToken.None);
        var node = new NodeRecord
        {
            Id = "n1",
            Name = "laptop",
            MachineKey = new byte[32],
            WireGuardKey = new byte[32],
            KeyExpiresAt = 10,
            AddressIndex = 1,
            EnrolledAt = 1,
            TokenId = "t1",
        };
        Assert.Equal(EnrollOutcome.Enrolled, await nodes.EnrollAsync("t1", 2, node, log.Event("node.enrolled", "node:laptop", "laptop", "ok", null), CancellationToken.None));
        Assert.False((await nodes.ListAsync(CancellationToken.None))[0].KeyExpiryAudited);

        Assert.Equal(["n1"], await nodes.MarkKeyExpiryAuditedAsync([("n1", 10)], log.Event("key.expired", "scheduler", "laptop", "ok", null), CancellationToken.None));
        Assert.Empty(await nodes.MarkKeyExpiryAuditedAsync([("n1", 10)], log.Event("key.expired", "scheduler", "laptop", "ok", null), CancellationToken.None));
        Assert.True((await nodes.ListAsync(CancellationToken.None))[0].KeyExpiryAudited);

        // A writer that still holds the old expiry marks nothing once the key was rotated; the new key's end counts again.
        await nodes.RotateKeyAsync("n1", RandomNumberGenerator.GetBytes(32), new byte[32], 20, [], log.Event("key.rotated", "node:laptop", "laptop", "ok", null), CancellationToken.None);
        Assert.False((await nodes.ListAsync(CancellationToken.None))[0].KeyExpiryAudited);
        Assert.Empty(await nodes.MarkKeyExpiryAuditedAsync([("n1", 10)], log.Event("key.expired", "scheduler", "laptop", "ok", null), CancellationToken.None));
        Assert.Equal(["n1"], await nodes.MarkKeyExpiryAuditedAsync([("n1", 20)], log.Event("key.expired", "scheduler", "laptop", "ok", null), CancellationToken.None));

        // Finishing the rotation (dropping the previous key) keeps the expiry and its mark.
        Assert.True(await nodes.FinishRotationWaitsAsync("n1", [], log.Event("key.rotation_finished", "scheduler", "laptop", "ok", null), CancellationToken.None));
        Assert.True((await nodes.ListAsync(CancellationToken.None))[0].KeyExpiryAudited);

        var kinds = (await new SqliteAuditStore(db).ListAsync(0, 0, 100, CancellationToken.None)).Select(e => e.Kind).ToList();
        Assert.Equal(["token.created", "node.enrolled", "key.expired", "key.rotated", "key.expired", "key.rotation_finished"], kinds);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_path + suffix);
        }
    }

    private sealed class FailingSealer : IAuditSealer
    {
        public AuditEntry Entry(string kind, string actor, string subject, string outcome, object? details) => new(kind, actor, subject, outcome, "{}");

        public SealedAudit Seal(AuditRecord? last, IReadOnlyList<AuditEntry> entries) => throw new InvalidOperationException("the audit key is gone");

        public void Committed(SealedAudit sealedAudit) => throw new InvalidOperationException("never committed");
    }
}
