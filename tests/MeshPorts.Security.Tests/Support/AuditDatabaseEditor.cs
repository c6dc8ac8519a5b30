using MeshPorts.Contracts.Audit;
using Microsoft.Data.Sqlite;

namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// What someone with write access to the coordinator's SQLite file (but not to DATA/audit-signing.key) can do
/// to the audit table: edit a row and recompute every later hash so the bare chain is consistent again, or
/// delete the last events.
/// </summary>
internal static class AuditDatabaseEditor
{
    public static async Task RewriteAndRecomputeAsync(string database, long seq, string actor)
    {
        await using var connection = await OpenAsync(database);
        var rows = new List<(long Seq, long Time, string Kind, string Actor, string Subject, string Outcome, string Details)>();
        await using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT seq, time, kind, actor, subject, outcome, details FROM audit ORDER BY seq;";
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6)));
            }
        }

        var prev = AuditHashChain.Genesis;
        foreach (var row in rows)
        {
            var rowActor = row.Seq == seq ? actor : row.Actor;
            var hash = AuditHashChain.Compute(prev, row.Seq, row.Time, row.Kind, rowActor, row.Subject, row.Outcome, row.Details);
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE audit SET actor = $a, prev_hash = $p, hash = $h WHERE seq = $s;";
            update.Parameters.AddWithValue("$a", rowActor);
            update.Parameters.AddWithValue("$p", prev);
            update.Parameters.AddWithValue("$h", hash);
            update.Parameters.AddWithValue("$s", row.Seq);
            await update.ExecuteNonQueryAsync();
            prev = hash;
        }
    }

    public static async Task DeleteAfterAsync(string database, long seq)
    {
        await using var connection = await OpenAsync(database);
        await using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM audit WHERE seq > $s;";
        delete.Parameters.AddWithValue("$s", seq);
        await delete.ExecuteNonQueryAsync();
    }

    public static async Task<long> LastSeqAsync(string database)
    {
        await using var connection = await OpenAsync(database);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM audit;";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<IReadOnlyList<string>> KindsAsync(string database)
    {
        await using var connection = await OpenAsync(database);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT kind FROM audit ORDER BY seq;";
        await using var reader = await command.ExecuteReaderAsync();
        var kinds = new List<string>();
        while (await reader.ReadAsync())
        {
            kinds.Add(reader.GetString(0));
        }

        return kinds;
    }

    private static async Task<SqliteConnection> OpenAsync(string database)
    {
        // Pooling off, so the file is let go the moment the edit is done and the coordinator starts on it alone.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync();
        return connection;
    }
}
