using MeshPorts.Coordinator.Storage.Postgres;
using MeshPorts.Coordinator.Tests.Support;
using MeshPorts.Tests.Shared;
using Npgsql;

namespace MeshPorts.Coordinator.Tests.Stores;

/// <summary>PostgreSQL's migrations do to old rows what SQLite's do (GrantMigrationTests): stopped at a step, given rows, then finished.</summary>
public sealed class PostgresMigrationTests : IClassFixture<PostgresServer>
{
    private readonly PostgresServer _server;

    public PostgresMigrationTests(PostgresServer server)
    {
        _server = server;
    }

    private async Task<PostgresDatabase> AtVersionAsync(int version, string rows)
    {
        var connectionString = await _server.CreateDatabaseAsync();
        var db = new PostgresDatabase(connectionString);
        await PostgresMigrations.ApplyAsync(db, CancellationToken.None, upTo: version);
        await using var connection = await db.OpenAsync(CancellationToken.None);
#pragma warning disable CA2100 // the tests' own constant SQL
        await using var command = new NpgsqlCommand(rows, connection);
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync();
        return db;
    }

    [Fact]
    public async Task Migration2_BindsNodeGrantsToTheCurrentNodesIds_AndEndsThoseWhoseNodeIsGone()
    {
        var far = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        await using var db = await AtVersionAsync(1, $"""
            INSERT INTO nodes (id, name, "user", tags, machine_key, wg_key, key_expires_at, address_index, services, endpoints, enrolled_at, token_id)
                VALUES ('n_db', 'db', '', '', '\x01', '\x11', {far}, 1, '', '', 0, 'tok_a'),
                       ('n_laptop', 'laptop', 'alice', '', '\x02', '\x12', {far}, 2, '', '', 0, 'tok_b');
            INSERT INTO grants (id, subject, target, port, protocol, created_at, expires_at, reason, revoked_at, expiry_audited)
                VALUES ('g_live', 'laptop', 'db', 5432, 'tcp', 0, {far}, '', NULL, FALSE),
                       ('g_orphan', 'laptop', 'ghost', 22, 'tcp', 0, {far}, '', NULL, FALSE),
                       ('g_tag', 'tag:web', 'db', 80, 'tcp', 0, {far}, '', NULL, FALSE),
                       ('g_user', 'user:alice', 'tag:db', 5432, 'tcp', 0, {far}, '', NULL, FALSE);
            """);

        await PostgresMigrations.ApplyAsync(db, CancellationToken.None);
        var grants = (await new PostgresGrantStore(db).ListAsync(CancellationToken.None)).ToDictionary(g => g.Id);

        Assert.Equal(("n_laptop", "n_db"), (grants["g_live"].SubjectNodeId, grants["g_live"].TargetNodeId));
        Assert.Null(grants["g_live"].RevokedAt);
        Assert.NotNull(grants["g_orphan"].RevokedAt);
        Assert.Equal((null, "n_db"), (grants["g_tag"].SubjectNodeId, grants["g_tag"].TargetNodeId));
        Assert.Null(grants["g_tag"].RevokedAt);
        Assert.Equal((null, null), (grants["g_user"].SubjectNodeId, grants["g_user"].TargetNodeId));
        Assert.Null(grants["g_user"].RevokedAt);
    }

    [Fact]
    public async Task Migration3_CountsKeysAlreadyPastTheirEndAsAudited_AndLiveKeysNot()
    {
        var far = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        var past = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds();
        await using var db = await AtVersionAsync(2, $"""
            INSERT INTO nodes (id, name, "user", tags, machine_key, wg_key, key_expires_at, address_index, services, endpoints, enrolled_at, token_id)
                VALUES ('n_old', 'old', '', '', '\x01', '\x11', {past}, 1, '', '', 0, 'tok_a'),
                       ('n_live', 'live', '', '', '\x02', '\x12', {far}, 2, '', '', 0, 'tok_b');
            """);

        await PostgresMigrations.ApplyAsync(db, CancellationToken.None);
        var nodes = (await new PostgresNodeStore(db).ListAsync(CancellationToken.None)).ToDictionary(n => n.Id);

        Assert.True(nodes["n_old"].KeyExpiryAudited);
        Assert.False(nodes["n_live"].KeyExpiryAudited);
        Assert.Null(nodes["n_old"].RotateRequestedAt);
    }

    [Fact]
    public async Task ADatabaseFromANewerCoordinator_IsRefused_NamingTheFix()
    {
        await using var db = await AtVersionAsync(PostgresMigrations.Latest, "UPDATE schema_version SET version = 99;");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresMigrations.ApplyAsync(db, CancellationToken.None));
        Assert.Contains("run a newer coordinator", ex.Message, StringComparison.Ordinal);
    }
}
