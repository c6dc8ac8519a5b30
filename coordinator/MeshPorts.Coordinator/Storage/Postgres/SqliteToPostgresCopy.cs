using System.Globalization;
using MeshPorts.Coordinator.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace MeshPorts.Coordinator.Storage.Postgres;

/// <summary>
/// Copies every row of a SQLite coordinator database into an empty PostgreSQL one, both at the latest schema, in
/// ONE PostgreSQL transaction (a failure leaves the target empty): settings (the signed audit head among them),
/// tokens, nodes, grants, policies, the audit rows as stored (same seqs, same hashes) and rotation waits.
/// </summary>
internal static class SqliteToPostgresCopy
{
    private static readonly (string Table, string Order, (string Name, NpgsqlDbType Type)[] Columns)[] Tables =
    [
        ("settings", "key", [("key", NpgsqlDbType.Text), ("value", NpgsqlDbType.Text)]),
        ("tokens", "id", [("id", NpgsqlDbType.Text), ("secret_hash", NpgsqlDbType.Bytea), ("name", NpgsqlDbType.Text), ("user", NpgsqlDbType.Text),
            ("tags", NpgsqlDbType.Text), ("uses_total", NpgsqlDbType.Integer), ("uses_left", NpgsqlDbType.Integer), ("created_at", NpgsqlDbType.Bigint),
            ("expires_at", NpgsqlDbType.Bigint), ("revoked", NpgsqlDbType.Boolean)]),
        ("nodes", "id", [("id", NpgsqlDbType.Text), ("name", NpgsqlDbType.Text), ("user", NpgsqlDbType.Text), ("tags", NpgsqlDbType.Text),
            ("machine_key", NpgsqlDbType.Bytea), ("wg_key", NpgsqlDbType.Bytea), ("prev_wg_key", NpgsqlDbType.Bytea), ("key_expires_at", NpgsqlDbType.Bigint),
            ("address_index", NpgsqlDbType.Integer), ("services", NpgsqlDbType.Text), ("endpoints", NpgsqlDbType.Text), ("enrolled_at", NpgsqlDbType.Bigint),
            ("token_id", NpgsqlDbType.Text), ("applied_serial", NpgsqlDbType.Bigint), ("latest_serial", NpgsqlDbType.Bigint),
            ("key_expiry_audited", NpgsqlDbType.Boolean), ("rotate_requested_at", NpgsqlDbType.Bigint)]),
        ("grants", "id", [("id", NpgsqlDbType.Text), ("subject", NpgsqlDbType.Text), ("target", NpgsqlDbType.Text), ("port", NpgsqlDbType.Integer),
            ("protocol", NpgsqlDbType.Text), ("created_at", NpgsqlDbType.Bigint), ("expires_at", NpgsqlDbType.Bigint), ("reason", NpgsqlDbType.Text),
            ("revoked_at", NpgsqlDbType.Bigint), ("expiry_audited", NpgsqlDbType.Boolean), ("subject_node_id", NpgsqlDbType.Text),
            ("target_node_id", NpgsqlDbType.Text)]),
        ("policies", "id", [("id", NpgsqlDbType.Bigint), ("text", NpgsqlDbType.Text), ("sha256", NpgsqlDbType.Text), ("applied_at", NpgsqlDbType.Bigint)]),
        ("audit", "seq", [("seq", NpgsqlDbType.Bigint), ("time", NpgsqlDbType.Bigint), ("kind", NpgsqlDbType.Text), ("actor", NpgsqlDbType.Text),
            ("subject", NpgsqlDbType.Text), ("outcome", NpgsqlDbType.Text), ("details", NpgsqlDbType.Text), ("prev_hash", NpgsqlDbType.Text),
            ("hash", NpgsqlDbType.Text)]),
        ("rotation_waits", "node_id, peer_id", [("node_id", NpgsqlDbType.Text), ("peer_id", NpgsqlDbType.Text)]),
    ];

    /// <summary>Rows per table, in copy order.</summary>
    public static IEnumerable<string> TableNames => Tables.Select(t => t.Table);

    /// <summary>Rows in each table of the target; all zero for an empty one.</summary>
    public static async Task<IReadOnlyDictionary<string, long>> CountAsync(NpgsqlConnection c, NpgsqlTransaction? t, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(c);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (table, _, _) in Tables)
        {
            await using var command = PostgresDatabase.Command(c, t, $"SELECT COUNT(*) FROM {table};");
            counts[table] = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        return counts;
    }

    /// <summary>
    /// Copies everything from <paramref name="source"/> into <paramref name="target"/> and returns the rows copied per
    /// table. Throws <see cref="InvalidOperationException"/>, naming the fix, when the target holds any row.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, long>> CopyAsync(SqliteDatabase source, PostgresDatabase target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        await using var from = await source.OpenAsync(cancellationToken);

        // A read transaction on the source: one consistent snapshot even if a coordinator still writes to it.
        await using var snapshot = from.BeginTransaction(deferred: true);
        return await target.WriteAsync<IReadOnlyDictionary<string, long>>(async (c, t) =>
        {
            // No coordinator on the target may append while it is filled: its chain would fork from ours.
            await PostgresDatabase.ExecuteAsync(c, t, "SELECT pg_advisory_xact_lock(@k);", cancellationToken, ("k", PostgresDatabase.AuditLockKey));
            var existing = await CountAsync(c, t, cancellationToken);
            if (existing.Values.Sum() > 0)
            {
                throw new InvalidOperationException(
                    $"the target database is not empty ({string.Join(", ", existing.Where(e => e.Value > 0).Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Key} {e.Value}")))}); " +
                    "migrate into an empty database: createdb a new one (or drop and recreate this one) and run migrate again");
            }

            var copied = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (table, order, columns) in Tables)
            {
                copied[table] = await CopyTableAsync(from, snapshot, c, table, order, columns, cancellationToken);
            }

            // Policies keep their ids (the newest is live); the identity continues after them.
            await PostgresDatabase.ExecuteAsync(c, t,
                "SELECT setval(pg_get_serial_sequence('policies', 'id'), COALESCE((SELECT MAX(id) FROM policies), 0) + 1, false);", cancellationToken);
            return copied;
        }, cancellationToken);
    }

    private static async Task<long> CopyTableAsync(SqliteConnection from, SqliteTransaction snapshot, NpgsqlConnection to, string table, string order,
        (string Name, NpgsqlDbType Type)[] columns, CancellationToken cancellationToken)
    {
        var names = string.Join(", ", columns.Select(c => '"' + c.Name + '"'));
        await using var read = SqliteDatabase.Command(from, snapshot, $"SELECT {names} FROM {table} ORDER BY {order};");
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        await using var writer = await to.BeginBinaryImportAsync($"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        long rows = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            await writer.StartRowAsync(cancellationToken);
            for (var i = 0; i < columns.Length; i++)
            {
                if (reader.IsDBNull(i))
                {
                    await writer.WriteNullAsync(cancellationToken);
                    continue;
                }

                switch (columns[i].Type)
                {
                    case NpgsqlDbType.Text:
                        await writer.WriteAsync(reader.GetString(i), NpgsqlDbType.Text, cancellationToken);
                        break;
                    case NpgsqlDbType.Bytea:
                        await writer.WriteAsync((byte[])reader.GetValue(i), NpgsqlDbType.Bytea, cancellationToken);
                        break;
                    case NpgsqlDbType.Integer:
                        await writer.WriteAsync(checked((int)reader.GetInt64(i)), NpgsqlDbType.Integer, cancellationToken);
                        break;
                    case NpgsqlDbType.Bigint:
                        await writer.WriteAsync(reader.GetInt64(i), NpgsqlDbType.Bigint, cancellationToken);
                        break;
                    case NpgsqlDbType.Boolean:
                        await writer.WriteAsync(reader.GetInt64(i) != 0, NpgsqlDbType.Boolean, cancellationToken);
                        break;
                    default:
                        throw new InvalidOperationException($"no copy for column type {columns[i].Type}");
                }
            }

            rows++;
        }

        await writer.CompleteAsync(cancellationToken);
        return rows;
    }
}
