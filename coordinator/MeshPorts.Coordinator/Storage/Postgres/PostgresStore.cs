using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace MeshPorts.Coordinator.Storage.Postgres;

/// <summary>The shared store for replicas: one PostgreSQL database that any number of coordinators use at once.</summary>
internal sealed class PostgresStore : IStore
{
    private static readonly string[] Tables = ["settings", "tokens", "nodes", "grants", "policies", "audit", "rotation_waits"];

    private readonly PostgresDatabase _db;
    private readonly PostgresChangeFeed _changes;

    public PostgresStore(string connectionString)
    {
        _db = new PostgresDatabase(connectionString);
        Tokens = new PostgresTokenStore(_db);
        Nodes = new PostgresNodeStore(_db);
        Grants = new PostgresGrantStore(_db);
        Policies = new PostgresPolicyStore(_db);
        Audit = new PostgresAuditStore(_db);
        Settings = new PostgresSettingsStore(_db);
        _changes = new PostgresChangeFeed(_db);
    }

    /// <summary>The connection string with its password hidden.</summary>
    public string Description => _db.Redacted;

    internal PostgresDatabase Database => _db;

    public ITokenStore Tokens { get; }

    public INodeStore Nodes { get; }

    public IGrantStore Grants { get; }

    public IPolicyStore Policies { get; }

    public IAuditStore Audit { get; }

    public ISettingsStore Settings { get; }

    public IChangeFeed Changes => _changes;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PostgresMigrations.ApplyAsync(_db, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            throw new StoreOpenException(
                $"cannot open PostgreSQL at {_db.Redacted}: {ex.Message}; check that the server runs and accepts this connection, the database exists " +
                "(createdb -O USER NAME) and the user may create tables in it, then start again", ex);
        }
    }

    /// <summary>
    /// What "ok" means here: the server answers, the schema is at the version this coordinator knows, every table
    /// can be read, and the audit log's seqs run 1..N without a gap or duplicate (the hashes are checked by
    /// audit verify, not here). Otherwise, what is wrong.
    /// </summary>
    public async Task<string> CheckIntegrityAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        var version = await PostgresMigrations.CurrentAsync(connection, null, cancellationToken);
        if (version != PostgresMigrations.Latest)
        {
            return string.Create(CultureInfo.InvariantCulture, $"schema version {version}, expected {PostgresMigrations.Latest}");
        }

        foreach (var table in Tables)
        {
            await using var count = PostgresDatabase.Command(connection, null, $"SELECT COUNT(*) FROM {table};");
            await count.ExecuteScalarAsync(cancellationToken);
        }

        await using var command = PostgresDatabase.Command(connection, null, "SELECT COUNT(*), COUNT(DISTINCT seq), COALESCE(MIN(seq), 1), COALESCE(MAX(seq), 0) FROM audit;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (rows, distinct, min, max) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        return rows == distinct && min == 1 && max == rows
            ? "ok"
            : string.Create(CultureInfo.InvariantCulture, $"the audit log holds {rows} events with seqs {min}..{max}: events are missing");
    }

    public async ValueTask DisposeAsync()
    {
        await _changes.DisposeAsync();
        await _db.DisposeAsync();
    }
}
