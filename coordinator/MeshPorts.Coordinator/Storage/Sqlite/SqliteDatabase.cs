using Microsoft.Data.Sqlite;

namespace MeshPorts.Coordinator.Storage.Sqlite;

/// <summary>
/// Opens connections with the pragmas every connection needs and serializes writers. SQLite allows
/// one writer at a time anyway; taking the lock in-process avoids SQLITE_BUSY retries under load.
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public SqliteDatabase(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);

        // WAL is a property of the file; synchronous is per connection. FULL with WAL makes every
        // commit durable across power loss, which is what "kill -9 leaves it consistent" needs and more.
        await ExecuteAsync(connection, null, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;", cancellationToken);
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> inside one IMMEDIATE transaction under the write lock.</summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        WriteAsync(work, null, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> and appends <paramref name="audit"/>'s events inside one IMMEDIATE transaction
    /// under the write lock, unless <paramref name="changed"/> says the work changed nothing (then no event is
    /// written). The audit is told of the commit before the lock is released, so events reach followers in
    /// chain order.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, PendingAudit? audit,
        CancellationToken cancellationToken, Func<T, bool>? changed = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await work(connection, transaction);
            SealedAudit? sealedAudit = null;
            if (audit is not null && audit.Entries.Count > 0 && (changed is null || changed(result)))
            {
                sealedAudit = await SqliteAuditStore.AppendInTransactionAsync(connection, transaction, audit, cancellationToken);
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

    public static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // SQL text is constant; values always go through parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    public void Dispose() => _writeLock.Dispose();
}
