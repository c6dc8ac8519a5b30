namespace MeshPorts.Coordinator.Storage.Postgres;

internal sealed class PostgresPolicyStore : IPolicyStore
{
    private readonly PostgresDatabase _db;

    public PostgresPolicyStore(PostgresDatabase db)
    {
        _db = db;
    }

    public async Task<PolicyRecord?> GetCurrentAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = PostgresDatabase.Command(connection, null, "SELECT text, sha256, applied_at FROM policies ORDER BY id DESC LIMIT 1;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new PolicyRecord(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)) : null;
    }

    public Task SaveAsync(PolicyRecord policy, PendingAudit audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return _db.WriteAsync(
            (c, t) => PostgresDatabase.ExecuteAsync(c, t, "INSERT INTO policies (text, sha256, applied_at) VALUES (@t, @h, @a);", cancellationToken,
                ("t", policy.Text), ("h", policy.Sha256), ("a", policy.AppliedAt)),
            audit, cancellationToken);
    }
}
