using MeshPorts.Contracts.Grammar;

namespace MeshPorts.Coordinator.Storage;

/// <summary>
/// A temporary access exception. Subject and target are parsed subjects (the store keeps their canonical text);
/// a node named there is bound by id, so the grant never passes to a later node that is given the same name.
/// </summary>
internal sealed record GrantRecord
{
    public required string Id { get; init; }

    public required Subject Subject { get; init; }

    public required Subject Target { get; init; }

    /// <summary>The id of the node <see cref="Subject"/> named when the grant was made (null for user:/tag:). Matching uses this, not the name.</summary>
    public string? SubjectNodeId { get; init; }

    /// <summary>The id of the node <see cref="Target"/> named when the grant was made (null for tag:).</summary>
    public string? TargetNodeId { get; init; }

    public int Port { get; init; }

    public PortProtocol Protocol { get; init; }

    public long CreatedAt { get; init; }

    public long ExpiresAt { get; init; }

    public string Reason { get; init; } = "";

    public long? RevokedAt { get; init; }

    /// <summary>Set once the scheduler has recorded the expiry, so it is audited exactly once.</summary>
    public bool ExpiryAudited { get; init; }
}
