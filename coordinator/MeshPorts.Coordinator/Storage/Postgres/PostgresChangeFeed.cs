using System.Data;
using System.Diagnostics;
using Npgsql;

namespace MeshPorts.Coordinator.Storage.Postgres;

/// <summary>
/// Follows <see cref="PostgresDatabase.ChangeChannel"/> on a dedicated LISTEN connection: every write that
/// appended events notifies its last seq in its transaction, which PostgreSQL delivers on commit. The connection
/// listens before the latest serial is read, so a commit between the two is never missed. A connection that
/// broke is dropped and opened again on the next wait; the database stays the source of truth, so after any
/// failure the caller just reads <see cref="LatestAsync"/> again. A notification is a wake-up and nothing more: the
/// serial returned is always read from the audit table, since NOTIFY needs no privilege and its payload is
/// whatever the sender wrote.
/// </summary>
internal sealed class PostgresChangeFeed : IChangeFeed, IAsyncDisposable
{
    /// <summary>How long a wake that found no new serial holds off the next look at the table.</summary>
    internal static readonly TimeSpan FalseWakePause = TimeSpan.FromMilliseconds(50);

    private readonly PostgresDatabase _db;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NpgsqlConnection? _listener;
    private long _falseWakes;

    public PostgresChangeFeed(PostgresDatabase db)
    {
        _db = db;
    }

    /// <summary>Notifications that named no new serial: a caller's own commits, or someone else's NOTIFY.</summary>
    internal long FalseWakes => Interlocked.Read(ref _falseWakes);

    public async Task<long> LatestAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = PostgresDatabase.Command(connection, null, "SELECT COALESCE(MAX(seq), 0) FROM audit;");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<long> WaitAsync(long after, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var listener = await ListenerAsync(cancellationToken);
            var woke = false;
            while (true)
            {
                // The answer always comes from the table: any role that can connect may NOTIFY this channel with
                // any payload, so a notification only says "look now".
                var latest = await LatestAsync(cancellationToken);
                if (latest > after)
                {
                    return latest;
                }

                var left = maxWait - Stopwatch.GetElapsedTime(started);
                if (woke && left > TimeSpan.Zero)
                {
                    // A wake that found nothing new (the notification of a commit the caller has already read, or
                    // a forged one) is paced, so a flood of them costs at most one MAX(seq) per pause.
                    Interlocked.Increment(ref _falseWakes);
                    await Task.Delay(FalseWakePause < left ? FalseWakePause : left, cancellationToken);
                    left = maxWait - Stopwatch.GetElapsedTime(started);
                }

                if (left <= TimeSpan.Zero)
                {
                    return after;
                }

                try
                {
                    // Npgsql takes whole milliseconds and reads 0 as "wait forever": round up, never down to 0.
                    woke = await listener.WaitAsync(TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds)), cancellationToken);
                }
                catch (Exception ex) when (ex is NpgsqlException or IOException or ObjectDisposedException or InvalidOperationException)
                {
                    // The listening connection died (server restart, terminated backend): open a new one next time,
                    // and let the caller look at the database, which has every change the lost notifications named.
                    await DropListenerAsync();
                    return Math.Max(after, await LatestAsync(cancellationToken));
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<NpgsqlConnection> ListenerAsync(CancellationToken cancellationToken)
    {
        if (_listener is { FullState: ConnectionState.Open })
        {
            return _listener;
        }

        await DropListenerAsync();
        var connection = await _db.OpenAsync(cancellationToken);
        try
        {
            await PostgresDatabase.ExecuteAsync(connection, null, $"LISTEN {PostgresDatabase.ChangeChannel};", cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        _listener = connection;
        return connection;
    }

    private async Task DropListenerAsync()
    {
        if (_listener is { } old)
        {
            _listener = null;
            try
            {
                await old.DisposeAsync();
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException)
            {
                // Already broken; nothing to close.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await DropListenerAsync();
        }
        finally
        {
            _gate.Release();
            _gate.Dispose();
        }
    }
}
