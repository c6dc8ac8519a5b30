using Microsoft.Data.Sqlite;

namespace MeshPorts.Coordinator.Storage.Sqlite;

/// <summary>
/// Ordered schema migrations. Each runs in its own transaction together with the schema_version bump,
/// so a crash leaves the schema at one version or the next, never in between. Append; never edit.
/// </summary>
internal static class SqliteMigrations
{
    private static readonly string[] Steps =
    [
        // 1: initial schema. Times are Unix milliseconds; keys are raw bytes.
        """
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE tokens (
            id TEXT PRIMARY KEY, secret_hash BLOB NOT NULL UNIQUE, name TEXT NOT NULL, user TEXT NOT NULL,
            tags TEXT NOT NULL, uses_total INTEGER NOT NULL, uses_left INTEGER NOT NULL CHECK (uses_left >= 0),
            created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE nodes (
            id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, user TEXT NOT NULL, tags TEXT NOT NULL,
            machine_key BLOB NOT NULL UNIQUE, wg_key BLOB NOT NULL, prev_wg_key BLOB NULL,
            key_expires_at INTEGER NOT NULL, address_index INTEGER NOT NULL UNIQUE, services TEXT NOT NULL,
            endpoints TEXT NOT NULL, enrolled_at INTEGER NOT NULL, token_id TEXT NOT NULL,
            applied_serial INTEGER NOT NULL DEFAULT 0, latest_serial INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE grants (
            id TEXT PRIMARY KEY, subject TEXT NOT NULL, target TEXT NOT NULL, port INTEGER NOT NULL,
            protocol TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, reason TEXT NOT NULL,
            revoked_at INTEGER NULL, expiry_audited INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE policies (
            id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at INTEGER NOT NULL);
        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, kind TEXT NOT NULL, actor TEXT NOT NULL,
            subject TEXT NOT NULL, outcome TEXT NOT NULL, details TEXT NOT NULL, prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL);
        CREATE INDEX audit_time ON audit(time);
        """,

        // 2: grants bind to the node's id, so a later node given a removed node's name inherits nothing.
        // Node-kind grants are backfilled from the current names; one whose node is gone ends now.
        """
        ALTER TABLE grants ADD COLUMN subject_node_id TEXT NULL;
        ALTER TABLE grants ADD COLUMN target_node_id TEXT NULL;
        UPDATE grants SET subject_node_id = (SELECT id FROM nodes WHERE nodes.name = grants.subject)
            WHERE subject NOT LIKE 'user:%' AND subject NOT LIKE 'tag:%';
        UPDATE grants SET target_node_id = (SELECT id FROM nodes WHERE nodes.name = grants.target)
            WHERE target NOT LIKE 'tag:%';
        UPDATE grants SET revoked_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000
            WHERE revoked_at IS NULL AND expires_at > CAST(strftime('%s', 'now') AS INTEGER) * 1000
              AND ((subject NOT LIKE 'user:%' AND subject NOT LIKE 'tag:%' AND subject_node_id IS NULL)
                OR (target NOT LIKE 'tag:%' AND target_node_id IS NULL));
        """,

        // 3: a key's end is audited once, whichever writer sees it first and across restarts. Keys already
        // past their end count as audited: before this the coordinator audited them while it ran.
        """
        ALTER TABLE nodes ADD COLUMN key_expiry_audited INTEGER NOT NULL DEFAULT 0;
        UPDATE nodes SET key_expiry_audited = 1 WHERE key_expires_at <= CAST(strftime('%s', 'now') AS INTEGER) * 1000;
        """,

        // 4: rotation bookkeeping in the database, so any replica acts on it and none loses it when one dies: an
        // admin's rotate request until the node rotates, and the peers a rotation still waits for.
        """
        ALTER TABLE nodes ADD COLUMN rotate_requested_at INTEGER NULL;
        CREATE TABLE rotation_waits (node_id TEXT NOT NULL, peer_id TEXT NOT NULL, PRIMARY KEY (node_id, peer_id));
        """,
    ];

    public static int Latest => Steps.Length;

    public static async Task ApplyAsync(SqliteDatabase database, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            // journal_mode sticks to the file: set once, before any table exists.
            await SqliteDatabase.ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken);
        }

        await database.WriteAsync<int>(async (c, t) =>
        {
            await SqliteDatabase.ExecuteAsync(c, t, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);", cancellationToken);
            return 0;
        }, cancellationToken);

        while (true)
        {
            var applied = await database.WriteAsync(async (c, t) =>
            {
                var current = await CurrentAsync(c, t, cancellationToken);
                if (current > Steps.Length)
                {
                    throw new InvalidOperationException(
                        $"the database is at schema version {current} but this coordinator knows only {Steps.Length}; run a newer coordinator");
                }

                if (current == Steps.Length)
                {
                    return false;
                }

                await SqliteDatabase.ExecuteAsync(c, t, Steps[current], cancellationToken);
                await SqliteDatabase.ExecuteAsync(c, t, "DELETE FROM schema_version; INSERT INTO schema_version(version) VALUES ($v);", cancellationToken, ("$v", current + 1));
                return true;
            }, cancellationToken);
            if (!applied)
            {
                return;
            }
        }
    }

    private static async Task<int> CurrentAsync(SqliteConnection c, SqliteTransaction t, CancellationToken cancellationToken)
    {
        await using var command = SqliteDatabase.Command(c, t, "SELECT MAX(version) FROM schema_version;");
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is long v ? (int)v : 0;
    }
}
