namespace MeshPorts.Coordinator.Storage;

/// <summary>Join tokens.</summary>
internal interface ITokenStore
{
    Task InsertAsync(TokenRecord token, CancellationToken cancellationToken);

    Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken cancellationToken);

    Task<TokenRecord?> FindBySecretHashAsync(byte[] secretHash, CancellationToken cancellationToken);

    /// <summary>Returns false if no such token.</summary>
    Task<bool> RevokeAsync(string id, CancellationToken cancellationToken);
}
