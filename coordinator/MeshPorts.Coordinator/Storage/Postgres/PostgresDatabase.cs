using System.Globalization;
using Npgsql;

namespace MeshPorts.Coordinator.Storage.Postgres;

/// <summary>
/// The connection pool and the write path. Every write is one transaction; one that records a change appends its
/// audit events inside it, under an advisory lock that every coordinator on the database takes before reading the
/// chain's last event, so writers in several processes keep one chain. The lock is released by the commit.
/// </summary>
internal sealed class PostgresDatabase : IAsyncDisposable
{
    /// <summary>The channel LISTEN/NOTIFY carries change serials on (the audit seq of the last event committed).</summary>
    public const string ChangeChannel = "meshports_changes";

    // pg_advisory_xact_lock keys: any constants no other application on the database uses. "MPAUDIT\0", "MPSCHEMA".
    public const long AuditLockKey = 0x4D50_4155_4449_5400;
    public const long MigrationLockKey = 0x4D50_5343_4845_4D41;

    // In this process, writers queue here as on SQLite: the audit is told of each commit before the next writer
    // commits, so events reach followers in chain order.
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public PostgresDatabase(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Redacted = PostgresConnectionText.Redact(builder);
        DataSource = NpgsqlDataSource.Create(builder);
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>The connection string without its password, for messages.</summary>
    public string Redacted { get; }

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => DataSource.OpenConnectionAsync(cancellationToken);

    public Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        WriteAsync(work, null, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> and appends <paramref name="audit"/>'s events in one transaction, unless
    /// <paramref name="changed"/> says the work changed nothing (then no event is written); a transaction that
    /// appended events also notifies <see cref="ChangeChannel"/>, delivered by PostgreSQL on commit.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, PendingAudit? audit,
        CancellationToken cancellationToken, Func<T, bool>? changed = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var result = await work(connection, transaction);
            SealedAudit? sealedAudit = null;
            if (audit is not null && audit.Entries.Count > 0 && (changed is null || changed(result)))
            {
                sealedAudit = await PostgresAuditStore.AppendInTransactionAsync(connection, transaction, audit, cancellationToken);
                await ExecuteAsync(connection, transaction, "SELECT pg_notify(@channel, @seq);", cancellationToken,
                    ("channel", ChangeChannel), ("seq", sealedAudit.Head.Seq.ToString(CultureInfo.InvariantCulture)));
            }

            await transaction.CommitAsync(cancellationToken);
            if (sealedAudit is not null)
            {
                audit!.Committed(sealedAudit);
            }

            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(connection);
#pragma warning disable CA2100 // SQL text is constant; values always go through parameters.
        var command = new NpgsqlCommand(sql, connection, transaction);
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        _writeLock.Dispose();
    }
}
