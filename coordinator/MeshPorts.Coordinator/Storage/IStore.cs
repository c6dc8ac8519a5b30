namespace MeshPorts.Coordinator.Storage;

/// <summary>
/// All persistence, one sub-store per entity. State depends only on this, so a PostgreSQL
/// implementation can be added beside SQLite without touching it.
/// </summary>
internal interface IStore : IAsyncDisposable
{
    ITokenStore Tokens { get; }

    INodeStore Nodes { get; }

    IGrantStore Grants { get; }

    IPolicyStore Policies { get; }

    IAuditStore Audit { get; }

    ISettingsStore Settings { get; }

    /// <summary>Changes committed by any coordinator on this database, for replicas to follow.</summary>
    IChangeFeed Changes { get; }

    /// <summary>Creates or migrates the schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>"ok" or the database's own description of what is damaged.</summary>
    Task<string> CheckIntegrityAsync(CancellationToken cancellationToken);
}
