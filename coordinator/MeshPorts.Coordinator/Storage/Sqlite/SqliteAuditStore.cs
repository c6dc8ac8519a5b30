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

    /// <summary>Appends events that record no other change (refusals, reports), in a transaction of their own.</summary>
    public Task AppendAsync(PendingAudit audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return _db.WriteAsync((_, _) => Task.FromResult(0), audit, cancellationToken);
    }

    /// <summary>
    /// Inside the caller's transaction: reads the last event, seals <paramref name="audit"/>'s entries after it,
    /// and inserts them and the new head. The write lock and the IMMEDIATE transaction keep one chain.
    /// </summary>
    public static async Task<SealedAudit> AppendInTransactionAsync(SqliteConnection c, SqliteTransaction t, PendingAudit audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audit);
        AuditRecord? last = null;
        await using (var command = SqliteDatabase.Command(c, t, $"SELECT {Columns} FROM audit ORDER BY seq DESC LIMIT 1;"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                last = Read(reader);
            }
        }

        var sealedAudit = audit.Seal(last);
        foreach (var record in sealedAudit.Records)
        {
            await SqliteDatabase.ExecuteAsync(c, t, $"INSERT INTO audit ({Columns}) VALUES ($s, $t, $k, $a, $sub, $o, $d, $p, $h);", cancellationToken,
                ("$s", record.Seq), ("$t", record.Time), ("$k", record.Kind), ("$a", record.Actor), ("$sub", record.Subject),
                ("$o", record.Outcome), ("$d", record.Details), ("$p", record.PrevHash), ("$h", record.Hash));
        }

        await WriteHeadAsync(c, t, sealedAudit.Head, cancellationToken);
        return sealedAudit;
    }

    public async Task<AuditHeadRecord?> GetHeadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = SqliteDatabase.Command(connection, null, "SELECT value FROM settings WHERE key = $k;", ("$k", AuditHeadText.Key));
        return await command.ExecuteScalarAsync(cancellationToken) is string text ? AuditHeadText.Parse(text) : null;
    }

    public Task SetHeadAsync(AuditHeadRecord head, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(head);
        return _db.WriteAsync((c, t) => WriteHeadAsync(c, t, head, cancellationToken), cancellationToken);
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

    private static Task<int> WriteHeadAsync(SqliteConnection c, SqliteTransaction t, AuditHeadRecord head, CancellationToken cancellationToken) =>
        SqliteDatabase.ExecuteAsync(c, t, "INSERT OR REPLACE INTO settings (key, value) VALUES ($k, $v);", cancellationToken,
            ("$k", AuditHeadText.Key), ("$v", AuditHeadText.Format(head)));

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
