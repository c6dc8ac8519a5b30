using MeshPorts.Contracts.Grammar;
using Microsoft.Data.Sqlite;

namespace MeshPorts.Coordinator.Storage.Sqlite;

internal sealed class SqliteGrantStore : IGrantStore
{
    private const string Columns = "id, subject, target, port, protocol, created_at, expires_at, reason, revoked_at, expiry_audited, subject_node_id, target_node_id";
    private readonly SqliteDatabase _db;

    public SqliteGrantStore(SqliteDatabase db)
    {
        _db = db;
    }

    public Task InsertAsync(GrantRecord grant, PendingAudit audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grant);
        return _db.WriteAsync(
            (c, t) => SqliteDatabase.ExecuteAsync(c, t,
                $"INSERT INTO grants ({Columns}) VALUES ($id, $s, $t, $p, $proto, $c, $e, $r, NULL, 0, $sn, $tn);", cancellationToken,
                ("$id", grant.Id), ("$s", grant.Subject.ToString()), ("$t", grant.Target.ToString()), ("$p", grant.Port), ("$proto", grant.Protocol.ToText()),
                ("$c", grant.CreatedAt), ("$e", grant.ExpiresAt), ("$r", grant.Reason),
                ("$sn", grant.SubjectNodeId), ("$tn", grant.TargetNodeId)),
            audit, cancellationToken);
    }

    public async Task<IReadOnlyList<GrantRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = SqliteDatabase.Command(connection, null, $"SELECT {Columns} FROM grants ORDER BY created_at;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<GrantRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    public Task<bool> RevokeAsync(string id, long revokedAt, PendingAudit audit, CancellationToken cancellationToken) =>
        _db.WriteAsync(
            async (c, t) => await SqliteDatabase.ExecuteAsync(c, t, "UPDATE grants SET revoked_at = $at WHERE id = $id AND revoked_at IS NULL;",
                cancellationToken, ("$id", id), ("$at", revokedAt)) == 1,
            audit, cancellationToken, revoked => revoked);

    public Task<IReadOnlyList<string>> MarkExpiryAuditedAsync(IReadOnlyList<string> ids, PendingAudit audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(audit);
        return _db.WriteAsync<IReadOnlyList<string>>(async (c, t) =>
        {
            var marked = new List<string>();
            var kept = new HashSet<int>();
            for (var i = 0; i < ids.Count; i++)
            {
                if (await SqliteDatabase.ExecuteAsync(c, t, "UPDATE grants SET expiry_audited = 1 WHERE id = $id AND expiry_audited = 0;",
                        cancellationToken, ("$id", ids[i])) == 1)
                {
                    marked.Add(ids[i]);
                    kept.Add(i);
                }
            }

            audit.RetainOnly(kept);
            return marked;
        }, audit, cancellationToken, marked => marked.Count > 0);
    }

    private static GrantRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Subject = ColumnText.ParseSubject(r.GetString(1)),
        Target = ColumnText.ParseSubject(r.GetString(2)),
        Port = r.GetInt32(3),
        Protocol = ColumnText.ParseProtocol(r.GetString(4)),
        CreatedAt = r.GetInt64(5),
        ExpiresAt = r.GetInt64(6),
        Reason = r.GetString(7),
        RevokedAt = r.IsDBNull(8) ? null : r.GetInt64(8),
        ExpiryAudited = r.GetInt64(9) != 0,
        SubjectNodeId = r.IsDBNull(10) ? null : r.GetString(10),
        TargetNodeId = r.IsDBNull(11) ? null : r.GetString(11),
    };
}
