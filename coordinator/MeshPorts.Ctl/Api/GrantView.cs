namespace MeshPorts.Ctl.Api;

/// <summary>A temporary grant; <c>grant add --json</c> gives at least <c>id</c> and <c>expiresAt</c>.</summary>
internal sealed record GrantView
{
    public required string Id { get; init; }

    public required string From { get; init; }

    public required string To { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }

    public string? Reason { get; init; }

    public bool Revoked { get; init; }

    /// <summary>Neither revoked nor expired now.</summary>
    public bool Active { get; init; }
}
