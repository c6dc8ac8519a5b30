namespace MeshPorts.Coordinator.Storage;

/// <summary>Applied policy files; the newest is live.</summary>
internal interface IPolicyStore
{
    Task<PolicyRecord?> GetCurrentAsync(CancellationToken cancellationToken);

    Task SaveAsync(PolicyRecord policy, PendingAudit audit, CancellationToken cancellationToken);
}
