using Npgsql;

namespace MeshPorts.Coordinator.Storage.Postgres;

internal sealed class PostgresNodeStore : INodeStore
{
    private const string Columns =
        "id, name, \"user\", tags, machine_key, wg_key, prev_wg_key, key_expires_at, address_index, services, endpoints, enrolled_at, token_id, applied_serial, key_expiry_audited, rotate_requested_at";

    // SQLSTATE unique_violation: a name, machine key or address another enrollment holds.
    private const string UniqueViolation = "23505";

    private readonly PostgresDatabase _db;

    public PostgresNodeStore(PostgresDatabase db)
    {
        _db = db;
    }

    public async Task<IReadOnlyList<NodeRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = PostgresDatabase.Command(connection, null, $"SELECT {Columns} FROM nodes ORDER BY name;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<NodeRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    public Task<EnrollOutcome> EnrollAsync(string tokenId, long now, NodeRecord node, PendingAudit audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        return _db.WriteAsync(async (c, t) =>
        {
            // The guard is in the WHERE clause: a racer that waited on this row's lock re-checks it after our commit.
            var taken = await PostgresDatabase.ExecuteAsync(c, t,
                "UPDATE tokens SET uses_left = uses_left - 1 WHERE id = @id AND uses_left > 0 AND NOT revoked AND expires_at > @now;",
                cancellationToken, ("id", tokenId), ("now", now));
            if (taken != 1)
            {
                return await WhyNotAsync(c, t, tokenId, now, cancellationToken);
            }

            try
            {
                await PostgresDatabase.ExecuteAsync(c, t,
                    $"INSERT INTO nodes ({Columns}) VALUES (@id, @name, @user, @tags, @mk, @wg, NULL, @exp, @idx, @svc, @ep, @at, @tok, 0, FALSE, NULL);",
                    cancellationToken,
                    ("id", node.Id), ("name", node.Name), ("user", node.User), ("tags", ColumnText.JoinList(node.Tags)),
                    ("mk", node.MachineKey), ("wg", node.WireGuardKey), ("exp", node.KeyExpiresAt), ("idx", node.AddressIndex),
                    ("svc", ColumnText.JoinServices(node.Services)), ("ep", ColumnText.JoinList(node.Endpoints)),
                    ("at", node.EnrolledAt), ("tok", tokenId));
            }
            catch (PostgresException ex) when (ex.SqlState == UniqueViolation)
            {
                // Throwing rolls back the token use too, so a failed enrollment never burns the token.
                throw new EnrollConflictException(ex.MessageText, ex);
            }

            return EnrollOutcome.Enrolled;
        }, audit, cancellationToken, outcome => outcome == EnrollOutcome.Enrolled);
    }

    private static async Task<EnrollOutcome> WhyNotAsync(NpgsqlConnection c, NpgsqlTransaction t, string tokenId, long now, CancellationToken cancellationToken)
    {
        await using var command = PostgresDatabase.Command(c, t, "SELECT uses_left, revoked, expires_at FROM tokens WHERE id = @id;", ("id", tokenId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return EnrollOutcome.TokenUnknown;
        }

        return reader.GetBoolean(1) ? EnrollOutcome.TokenRevoked
            : reader.GetInt64(2) <= now ? EnrollOutcome.TokenExpired
            : EnrollOutcome.TokenUsedUp;
    }

    public Task<bool> DeleteAsync(string id, IReadOnlyCollection<string> endGrantIds, long endedAt, PendingAudit audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endGrantIds);
        return _db.WriteAsync(async (c, t) =>
        {
            await PostgresDatabase.ExecuteAsync(c, t, "UPDATE grants SET revoked_at = @at WHERE id = ANY(@g) AND revoked_at IS NULL;", cancellationToken,
                ("g", endGrantIds.ToArray()), ("at", endedAt));
            await PostgresDatabase.ExecuteAsync(c, t, "DELETE FROM rotation_waits WHERE node_id = @id OR peer_id = @id;", cancellationToken, ("id", id));
            return await PostgresDatabase.ExecuteAsync(c, t, "DELETE FROM nodes WHERE id = @id;", cancellationToken, ("id", id)) == 1;
        }, audit, cancellationToken, deleted => deleted);
    }

    public Task RotateKeyAsync(string id, byte[] wireGuardKey, byte[] previousKey, long keyExpiresAt, IReadOnlyCollection<string> waitingPeers,
        PendingAudit audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(waitingPeers);
        return _db.WriteAsync(async (c, t) =>
        {
            // The UPDATE locks the node's row first, so a replica finishing this node's waits queues behind it.
            await PostgresDatabase.ExecuteAsync(c, t,
                "UPDATE nodes SET wg_key = @wg, prev_wg_key = @prev, key_expires_at = @exp, key_expiry_audited = FALSE, rotate_requested_at = NULL WHERE id = @id;",
                cancellationToken, ("id", id), ("wg", wireGuardKey), ("prev", previousKey), ("exp", keyExpiresAt));
            await PostgresDatabase.ExecuteAsync(c, t, "DELETE FROM rotation_waits WHERE node_id = @id;", cancellationToken, ("id", id));
            await PostgresDatabase.ExecuteAsync(c, t, "INSERT INTO rotation_waits (node_id, peer_id) SELECT @id, unnest(@p);", cancellationToken,
                ("id", id), ("p", waitingPeers.ToArray()));
            return 0;
        }, audit, cancellationToken);
    }

    public Task<bool> FinishRotationWaitsAsync(string id, IReadOnlyCollection<string> peerIds, PendingAudit readyAudit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peerIds);
        return _db.WriteAsync(async (c, t) =>
        {
            // Two replicas each dropping the last wait they know of would, under READ COMMITTED, each still see the
            // other's and neither finish; the row lock makes the second look after the first committed.
            await PostgresDatabase.ExecuteAsync(c, t, "SELECT 1 FROM nodes WHERE id = @id FOR UPDATE;", cancellationToken, ("id", id));
            await PostgresDatabase.ExecuteAsync(c, t, "DELETE FROM rotation_waits WHERE node_id = @id AND peer_id = ANY(@p);", cancellationToken,
                ("id", id), ("p", peerIds.ToArray()));
            return await PostgresDatabase.ExecuteAsync(c, t,
                "UPDATE nodes SET prev_wg_key = NULL WHERE id = @id AND prev_wg_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rotation_waits WHERE node_id = @id);",
                cancellationToken, ("id", id)) == 1;
        }, readyAudit, cancellationToken, finished => finished);
    }

    public async Task<IReadOnlyList<(string NodeId, string PeerId)>> ListRotationWaitsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = PostgresDatabase.Command(connection, null, "SELECT node_id, peer_id FROM rotation_waits ORDER BY node_id, peer_id;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<(string, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add((reader.GetString(0), reader.GetString(1)));
        }

        return list;
    }

    public Task RequestRotationAsync(IReadOnlyList<string> ids, long requestedAt, PendingAudit audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return _db.WriteAsync(
            (c, t) => PostgresDatabase.ExecuteAsync(c, t, "UPDATE nodes SET rotate_requested_at = @at WHERE id = ANY(@ids);", cancellationToken,
                ("ids", ids.ToArray()), ("at", requestedAt)),
            audit, cancellationToken);
    }

    public Task<IReadOnlyList<string>> MarkKeyExpiryAuditedAsync(IReadOnlyList<(string NodeId, long ExpiresAt)> keys, PendingAudit audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(audit);
        return _db.WriteAsync<IReadOnlyList<string>>(async (c, t) =>
        {
            var marked = new List<string>();
            var kept = new HashSet<int>();
            for (var i = 0; i < keys.Count; i++)
            {
                // A writer waiting on this row re-checks the guard after the other's commit and marks nothing.
                if (await PostgresDatabase.ExecuteAsync(c, t,
                        "UPDATE nodes SET key_expiry_audited = TRUE WHERE id = @id AND key_expires_at = @exp AND NOT key_expiry_audited;",
                        cancellationToken, ("id", keys[i].NodeId), ("exp", keys[i].ExpiresAt)) == 1)
                {
                    marked.Add(keys[i].NodeId);
                    kept.Add(i);
                }
            }

            audit.RetainOnly(kept);
            return marked;
        }, audit, cancellationToken, marked => marked.Count > 0);
    }

    public Task UpdateAppliedSerialAsync(string id, ulong appliedSerial, PendingAudit audit, CancellationToken cancellationToken) =>
        _db.WriteAsync(
            (c, t) => PostgresDatabase.ExecuteAsync(c, t, "UPDATE nodes SET applied_serial = @s WHERE id = @id;", cancellationToken,
                ("id", id), ("s", (long)appliedSerial)),
            audit, cancellationToken);

    private static NodeRecord Read(NpgsqlDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        User = r.GetString(2),
        Tags = ColumnText.SplitList(r.GetString(3)),
        MachineKey = r.GetFieldValue<byte[]>(4),
        WireGuardKey = r.GetFieldValue<byte[]>(5),
        PreviousWireGuardKey = r.IsDBNull(6) ? null : r.GetFieldValue<byte[]>(6),
        KeyExpiresAt = r.GetInt64(7),
        AddressIndex = r.GetInt32(8),
        Services = ColumnText.SplitServices(r.GetString(9)),
        Endpoints = ColumnText.SplitList(r.GetString(10)),
        EnrolledAt = r.GetInt64(11),
        TokenId = r.GetString(12),
        AppliedSerial = (ulong)r.GetInt64(13),
        KeyExpiryAudited = r.GetBoolean(14),
        RotateRequestedAt = r.IsDBNull(15) ? null : r.GetInt64(15),
    };
}
