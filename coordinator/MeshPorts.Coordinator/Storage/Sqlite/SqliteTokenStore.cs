using Microsoft.Data.Sqlite;

namespace MeshPorts.Coordinator.Storage.Sqlite;

internal sealed class SqliteTokenStore : ITokenStore
{
    private const string Columns = "id, secret_hash, name, user, tags, uses_total, uses_left, created_at, expires_at, revoked";
    private readonly SqliteDatabase _db;

    public SqliteTokenStore(SqliteDatabase db)
    {
        _db = db;
    }

    public Task InsertAsync(TokenRecord token, PendingAudit audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _db.WriteAsync(
            (c, t) => SqliteDatabase.ExecuteAsync(c, t,
                $"INSERT INTO tokens ({Columns}) VALUES ($id, $h, $n, $u, $tags, $ut, $ul, $c, $e, 0);", cancellationToken,
                ("$id", token.Id), ("$h", token.SecretHash), ("$n", token.Name), ("$u", token.User),
                ("$tags", ColumnText.JoinList(token.Tags)), ("$ut", token.UsesTotal), ("$ul", token.UsesLeft),
                ("$c", token.CreatedAt), ("$e", token.ExpiresAt)),
            audit, cancellationToken);
    }

    public async Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken cancellationToken) =>
        await QueryAsync($"SELECT {Columns} FROM tokens ORDER BY created_at DESC;", cancellationToken);

    public async Task<TokenRecord?> FindBySecretHashAsync(byte[] secretHash, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {Columns} FROM tokens WHERE secret_hash = $h;", cancellationToken, ("$h", secretHash))).FirstOrDefault();

    public async Task<bool> RevokeAsync(string id, PendingAudit audit, CancellationToken cancellationToken) =>
        await _db.WriteAsync(
            async (c, t) => await SqliteDatabase.ExecuteAsync(c, t, "UPDATE tokens SET revoked = 1 WHERE id = $id;", cancellationToken, ("$id", id)) == 1,
            audit, cancellationToken, revoked => revoked);

    private async Task<List<TokenRecord>> QueryAsync(string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = SqliteDatabase.Command(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<TokenRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    private static TokenRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        SecretHash = (byte[])r.GetValue(1),
        Name = r.GetString(2),
        User = r.GetString(3),
        Tags = ColumnText.SplitList(r.GetString(4)),
        UsesTotal = r.GetInt32(5),
        UsesLeft = r.GetInt32(6),
        CreatedAt = r.GetInt64(7),
        ExpiresAt = r.GetInt64(8),
        Revoked = r.GetInt64(9) != 0,
    };
}
