namespace MeshPorts.Coordinator.Storage;

/// <summary>Join tokens.</summary>
/// <remarks>Every change takes the audit events that record it and writes them in its own transaction.</remarks>
internal interface ITokenStore
{
    Task InsertAsync(TokenRecord token, PendingAudit audit, CancellationToken cancellationToken);

    Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken cancellationToken);

    Task<TokenRecord?> FindBySecretHashAsync(byte[] secretHash, CancellationToken cancellationToken);

    /// <summary>Returns false if no such token (and then writes no event).</summary>
    Task<bool> RevokeAsync(string id, PendingAudit audit, CancellationToken cancellationToken);
}
