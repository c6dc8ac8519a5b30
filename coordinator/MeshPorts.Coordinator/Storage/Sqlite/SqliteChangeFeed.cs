namespace MeshPorts.Coordinator.Storage.Sqlite;

/// <summary>
/// SQLite has no notifications across processes: the feed polls the audit log's last seq (an index lookup on the
/// primary key) at <see cref="PollInterval"/>.
/// </summary>
internal sealed class SqliteChangeFeed : IChangeFeed
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly SqliteDatabase _db;

    public SqliteChangeFeed(SqliteDatabase db)
    {
        _db = db;
    }

    public async Task<long> LatestAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = SqliteDatabase.Command(connection, null, "SELECT COALESCE(MAX(seq), 0) FROM audit;");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<long> WaitAsync(long after, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + maxWait;
        while (true)
        {
            var latest = await LatestAsync(cancellationToken);
            var left = deadline - DateTime.UtcNow;
            if (latest > after || left <= TimeSpan.Zero)
            {
                return latest > after ? latest : after;
            }

            await Task.Delay(left < PollInterval ? left : PollInterval, cancellationToken);
        }
    }
}
