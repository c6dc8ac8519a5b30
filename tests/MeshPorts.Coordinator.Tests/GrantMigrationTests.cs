using MeshPorts.Coordinator.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace MeshPorts.Coordinator.Tests;

public sealed class GrantMigrationTests
{
    [Fact]
    public async Task Migration2_BindsNodeGrantsToTheCurrentNodesIds_AndEndsThoseWhoseNodeIsGone()
    {
        var path = Path.Combine(Path.GetTempPath(), "mp-migrate-" + Guid.NewGuid().ToString("N") + ".db");
        try
        {
            using var db = new SqliteDatabase(path);
            await SqliteMigrations.ApplyAsync(db, CancellationToken.None);

            // Back to a version-1 database holding grants that name nodes only by name.
            var far = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
            await using (var c = new SqliteConnection("Data Source=" + path))
            {
                await c.OpenAsync();
                await using var command = c.CreateCommand();
                command.CommandText = $"""
                    ALTER TABLE grants DROP COLUMN subject_node_id;
                    ALTER TABLE grants DROP COLUMN target_node_id;
                    ALTER TABLE nodes DROP COLUMN key_expiry_audited;
                    ALTER TABLE nodes DROP COLUMN rotate_requested_at;
                    DROP TABLE rotation_waits;
                    DELETE FROM schema_version; INSERT INTO schema_version(version) VALUES (1);
                    INSERT INTO nodes (id, name, user, tags, machine_key, wg_key, key_expires_at, address_index, services, endpoints, enrolled_at, token_id)
                        VALUES ('n_db', 'db', '', '', x'01', x'11', {far}, 1, '', '', 0, 'tok_a'),
                               ('n_laptop', 'laptop', 'alice', '', x'02', x'12', {far}, 2, '', '', 0, 'tok_b');
                    INSERT INTO grants (id, subject, target, port, protocol, created_at, expires_at, reason, revoked_at, expiry_audited)
                        VALUES ('g_live', 'laptop', 'db', 5432, 'tcp', 0, {far}, '', NULL, 0),
                               ('g_orphan', 'laptop', 'ghost', 22, 'tcp', 0, {far}, '', NULL, 0),
                               ('g_tag', 'tag:web', 'db', 80, 'tcp', 0, {far}, '', NULL, 0),
                               ('g_user', 'user:alice', 'tag:db', 5432, 'tcp', 0, {far}, '', NULL, 0);
                    """;
                await command.ExecuteNonQueryAsync();
            }

            SqliteConnection.ClearAllPools();
            await SqliteMigrations.ApplyAsync(db, CancellationToken.None);
            var grants = (await new SqliteGrantStore(db).ListAsync(CancellationToken.None)).ToDictionary(g => g.Id);

            Assert.Equal(("n_laptop", "n_db"), (grants["g_live"].SubjectNodeId, grants["g_live"].TargetNodeId));
            Assert.Null(grants["g_live"].RevokedAt);
            Assert.NotNull(grants["g_orphan"].RevokedAt);
            Assert.Null(grants["g_orphan"].TargetNodeId);
            Assert.Equal((null, "n_db"), (grants["g_tag"].SubjectNodeId, grants["g_tag"].TargetNodeId));
            Assert.Null(grants["g_tag"].RevokedAt);
            Assert.Equal((null, null), (grants["g_user"].SubjectNodeId, grants["g_user"].TargetNodeId));
            Assert.Null(grants["g_user"].RevokedAt);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Migration3_CountsKeysAlreadyPastTheirEndAsAudited_AndLiveKeysNot()
    {
        var path = Path.Combine(Path.GetTempPath(), "mp-migrate-" + Guid.NewGuid().ToString("N") + ".db");
        try
        {
            using var db = new SqliteDatabase(path);
            await SqliteMigrations.ApplyAsync(db, CancellationToken.None);
            var far = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
            var past = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds();
            await using (var c = new SqliteConnection("Data Source=" + path))
            {
                await c.OpenAsync();
                await using var command = c.CreateCommand();
                command.CommandText = $"""
                    ALTER TABLE nodes DROP COLUMN key_expiry_audited;
                    ALTER TABLE nodes DROP COLUMN rotate_requested_at;
                    DROP TABLE rotation_waits;
                    DELETE FROM schema_version; INSERT INTO schema_version(version) VALUES (2);
                    INSERT INTO nodes (id, name, user, tags, machine_key, wg_key, key_expires_at, address_index, services, endpoints, enrolled_at, token_id)
                        VALUES ('n_old', 'old', '', '', x'01', x'11', {past}, 1, '', '', 0, 'tok_a'),
                               ('n_live', 'live', '', '', x'02', x'12', {far}, 2, '', '', 0, 'tok_b');
                    """;
                await command.ExecuteNonQueryAsync();
            }

            SqliteConnection.ClearAllPools();
            await SqliteMigrations.ApplyAsync(db, CancellationToken.None);
            var nodes = (await new SqliteNodeStore(db).ListAsync(CancellationToken.None)).ToDictionary(n => n.Id);

            Assert.True(nodes["n_old"].KeyExpiryAudited);
            Assert.False(nodes["n_live"].KeyExpiryAudited);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }
}
