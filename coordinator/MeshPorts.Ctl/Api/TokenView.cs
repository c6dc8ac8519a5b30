namespace MeshPorts.Ctl.Api;

/// <summary>A join token as meshctl prints it; the secret appears only inside <see cref="JoinString"/> on create.</summary>
internal sealed record TokenView
{
    public required string Id { get; init; }

    public string? Name { get; init; }

    public string? User { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public int Uses { get; init; }

    public int UsesLeft { get; init; }

    public bool Revoked { get; init; }

    public string? JoinString { get; init; }
}
