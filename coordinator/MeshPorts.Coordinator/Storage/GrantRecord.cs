namespace MeshPorts.Coordinator.Storage;

/// <summary>
/// A temporary access exception. Subject/target are written as in meshctl ("db-1", "tag:web"); a node named
/// there is bound by id, so the grant never passes to a later node that is given the same name.
/// </summary>
internal sealed record GrantRecord
{
    public required string Id { get; init; }

    public required string Subject { get; init; }

    public required string Target { get; init; }

    /// <summary>The id of the node <see cref="Subject"/> named when the grant was made (null for user:/tag:). Matching uses this, not the name.</summary>
    public string? SubjectNodeId { get; init; }

    /// <summary>The id of the node <see cref="Target"/> named when the grant was made (null for tag:).</summary>
    public string? TargetNodeId { get; init; }

    public int Port { get; init; }

    public string Protocol { get; init; } = "tcp";

    public long CreatedAt { get; init; }

    public long ExpiresAt { get; init; }

    public string Reason { get; init; } = "";

    public long? RevokedAt { get; init; }

    /// <summary>Set once the scheduler has recorded the expiry, so it is audited exactly once.</summary>
    public bool ExpiryAudited { get; init; }
}
