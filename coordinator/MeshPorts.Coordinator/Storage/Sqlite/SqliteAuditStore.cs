using Microsoft.Data.Sqlite;

namespace MeshPorts.Coordinator.Storage.Sqlite;

internal sealed class SqliteAuditStore : IAuditStore
{
    private const string Columns = "seq, time, kind, actor, subject, outcome, details, prev_hash, hash";
    private readonly SqliteDatabase _db;

    public SqliteAuditStore(SqliteDatabase db)
    {
        _db = db;
    }

    public async Task<AuditRecord?> GetLastAsync(CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {Columns} FROM audit ORDER BY seq DESC LIMIT 1;", cancellationToken)).FirstOrDefault();

    public Task AppendAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _db.WriteAsync(
            (c, t) => SqliteDatabase.ExecuteAsync(c, t, $"INSERT INTO audit ({Columns}) VALUES ($s, $t, $k, $a, $sub, $o, $d, $p, $h);", cancellationToken,
                ("$s", record.Seq), ("$t", record.Time), ("$k", record.Kind), ("$a", record.Actor), ("$sub", record.Subject),
                ("$o", record.Outcome), ("$d", record.Details), ("$p", record.PrevHash), ("$h", record.Hash)),
            cancellationToken);
    }

    public async Task<IReadOnlyList<AuditRecord>> ListAsync(long afterSeq, long sinceTime, int limit, CancellationToken cancellationToken) =>
        await QueryAsync($"SELECT {Columns} FROM audit WHERE seq > $after AND time >= $since ORDER BY seq LIMIT $limit;", cancellationToken,
            ("$after", afterSeq), ("$since", sinceTime), ("$limit", limit));

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = SqliteDatabase.Command(connection, null, "SELECT COUNT(*) FROM audit;");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<List<AuditRecord>> QueryAsync(string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = SqliteDatabase.Command(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<AuditRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    private static AuditRecord Read(SqliteDataReader r) => new()
    {
        Seq = r.GetInt64(0),
        Time = r.GetInt64(1),
        Kind = r.GetString(2),
        Actor = r.GetString(3),
        Subject = r.GetString(4),
        Outcome = r.GetString(5),
        Details = r.GetString(6),
        PrevHash = r.GetString(7),
        Hash = r.GetString(8),
    };
}
