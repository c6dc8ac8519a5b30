namespace MeshPorts.Coordinator.Storage.Sqlite;

internal sealed class SqliteSettingsStore : ISettingsStore
{
    private readonly SqliteDatabase _db;

    public SqliteSettingsStore(SqliteDatabase db)
    {
        _db = db;
    }

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = SqliteDatabase.Command(connection, null, "SELECT value FROM settings WHERE key = $k;", ("$k", key));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public Task<string> GetOrAddAsync(string key, string value, CancellationToken cancellationToken) =>
        _db.WriteAsync(async (c, t) =>
        {
            await SqliteDatabase.ExecuteAsync(c, t, "INSERT OR IGNORE INTO settings (key, value) VALUES ($k, $v);", cancellationToken, ("$k", key), ("$v", value));
            await using var command = SqliteDatabase.Command(c, t, "SELECT value FROM settings WHERE key = $k;", ("$k", key));
            return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        }, cancellationToken);

    public Task<long> IncrementAsync(string key, CancellationToken cancellationToken) =>
        _db.WriteAsync(async (c, t) =>
        {
            await SqliteDatabase.ExecuteAsync(c, t, "INSERT OR IGNORE INTO settings (key, value) VALUES ($k, '0');", cancellationToken, ("$k", key));
            await SqliteDatabase.ExecuteAsync(c, t, "UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = $k;", cancellationToken, ("$k", key));
            await using var command = SqliteDatabase.Command(c, t, "SELECT CAST(value AS INTEGER) FROM settings WHERE key = $k;", ("$k", key));
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }, cancellationToken);
}
