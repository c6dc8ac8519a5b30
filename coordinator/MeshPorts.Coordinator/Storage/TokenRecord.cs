namespace MeshPorts.Coordinator.Storage;

/// <summary>A join token as stored: the secret only as its SHA-256. Times are Unix milliseconds.</summary>
internal sealed record TokenRecord
{
    public required string Id { get; init; }

    public required byte[] SecretHash { get; init; }

    public string Name { get; init; } = "";

    public string User { get; init; } = "";

    public IReadOnlyList<string> Tags { get; init; } = [];

    public int UsesTotal { get; init; } = 1;

    public int UsesLeft { get; init; } = 1;

    public long CreatedAt { get; init; }

    public long ExpiresAt { get; init; }

    public bool Revoked { get; init; }
}
