namespace MeshPorts.Coordinator.Storage.Postgres;

internal sealed class PostgresSettingsStore : ISettingsStore
{
    private readonly PostgresDatabase _db;

    public PostgresSettingsStore(PostgresDatabase db)
    {
        _db = db;
    }

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = PostgresDatabase.Command(connection, null, "SELECT value FROM settings WHERE key = @k;", ("k", key));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public Task<string> GetOrAddAsync(string key, string value, CancellationToken cancellationToken) =>
        _db.WriteAsync(async (c, t) =>
        {
            // A racing insert of the same key waits for ours and then does nothing; the SELECT sees whichever won.
            await PostgresDatabase.ExecuteAsync(c, t, "INSERT INTO settings (key, value) VALUES (@k, @v) ON CONFLICT (key) DO NOTHING;", cancellationToken,
                ("k", key), ("v", value));
            await using var command = PostgresDatabase.Command(c, t, "SELECT value FROM settings WHERE key = @k;", ("k", key));
            return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        }, cancellationToken);

    public Task<long> IncrementAsync(string key, CancellationToken cancellationToken) =>
        _db.WriteAsync(async (c, t) =>
        {
            await using var command = PostgresDatabase.Command(c, t,
                "INSERT INTO settings (key, value) VALUES (@k, '1') ON CONFLICT (key) DO UPDATE SET value = (settings.value::BIGINT + 1)::TEXT RETURNING value::BIGINT;",
                ("k", key));
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }, cancellationToken);
}
