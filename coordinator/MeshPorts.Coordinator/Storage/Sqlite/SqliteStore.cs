namespace MeshPorts.Coordinator.Storage.Sqlite;

/// <summary>The embedded default store: one SQLite file in WAL mode.</summary>
internal sealed class SqliteStore : IStore
{
    private readonly SqliteDatabase _db;

    public SqliteStore(string path)
    {
        Path = path;
        _db = new SqliteDatabase(path);
        Tokens = new SqliteTokenStore(_db);
        Nodes = new SqliteNodeStore(_db);
        Grants = new SqliteGrantStore(_db);
        Policies = new SqlitePolicyStore(_db);
        Audit = new SqliteAuditStore(_db);
        Settings = new SqliteSettingsStore(_db);
        Changes = new SqliteChangeFeed(_db);
    }

    public string Path { get; }

    internal SqliteDatabase Database => _db;

    public ITokenStore Tokens { get; }

    public INodeStore Nodes { get; }

    public IGrantStore Grants { get; }

    public IPolicyStore Policies { get; }

    public IAuditStore Audit { get; }

    public ISettingsStore Settings { get; }

    public IChangeFeed Changes { get; }

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        // SQLite gives the -wal and -shm files the database file's mode, so creating the database
        // 0600 first keeps all three private whatever the process umask is.
        if (!OperatingSystem.IsWindows() && !File.Exists(Path))
        {
            using var created = new FileStream(Path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }

        return SqliteMigrations.ApplyAsync(_db, cancellationToken);
    }

    public async Task<string> CheckIntegrityAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = SqliteDatabase.Command(connection, null, "PRAGMA integrity_check;");
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public ValueTask DisposeAsync()
    {
        _db.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
