using Npgsql;

namespace MeshPorts.Coordinator.Storage.Postgres;

internal sealed class PostgresTokenStore : ITokenStore
{
    private const string Columns = "id, secret_hash, name, \"user\", tags, uses_total, uses_left, created_at, expires_at, revoked";
    private readonly PostgresDatabase _db;

    public PostgresTokenStore(PostgresDatabase db)
    {
        _db = db;
    }

    public Task InsertAsync(TokenRecord token, PendingAudit audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _db.WriteAsync(
            (c, t) => PostgresDatabase.ExecuteAsync(c, t,
                $"INSERT INTO tokens ({Columns}) VALUES (@id, @h, @n, @u, @tags, @ut, @ul, @c, @e, FALSE);", cancellationToken,
                ("id", token.Id), ("h", token.SecretHash), ("n", token.Name), ("u", token.User),
                ("tags", ColumnText.JoinList(token.Tags)), ("ut", token.UsesTotal), ("ul", token.UsesLeft),
                ("c", token.CreatedAt), ("e", token.ExpiresAt)),
            audit, cancellationToken);
    }

    public async Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken cancellationToken) =>
        await QueryAsync($"SELECT {Columns} FROM tokens ORDER BY created_at DESC, id;", cancellationToken);

    public async Task<TokenRecord?> FindBySecretHashAsync(byte[] secretHash, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {Columns} FROM tokens WHERE secret_hash = @h;", cancellationToken, ("h", secretHash))).FirstOrDefault();

    public Task<bool> RevokeAsync(string id, PendingAudit audit, CancellationToken cancellationToken) =>
        _db.WriteAsync(
            async (c, t) => await PostgresDatabase.ExecuteAsync(c, t, "UPDATE tokens SET revoked = TRUE WHERE id = @id;", cancellationToken, ("id", id)) == 1,
            audit, cancellationToken, revoked => revoked);

    private async Task<List<TokenRecord>> QueryAsync(string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = PostgresDatabase.Command(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<TokenRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    private static TokenRecord Read(NpgsqlDataReader r) => new()
    {
        Id = r.GetString(0),
        SecretHash = r.GetFieldValue<byte[]>(1),
        Name = r.GetString(2),
        User = r.GetString(3),
        Tags = ColumnText.SplitList(r.GetString(4)),
        UsesTotal = r.GetInt32(5),
        UsesLeft = r.GetInt32(6),
        CreatedAt = r.GetInt64(7),
        ExpiresAt = r.GetInt64(8),
        Revoked = r.GetBoolean(9),
    };
}
