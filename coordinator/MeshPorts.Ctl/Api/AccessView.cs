namespace MeshPorts.Ctl.Api;

/// <summary>The answer of <c>access check</c>: which rule or grant allows it and until when, or that nothing does.</summary>
internal sealed record AccessView
{
    public bool Allowed { get; init; }

    public required string From { get; init; }

    public required string To { get; init; }

    public DateTimeOffset? At { get; init; }

    /// <summary>"rule:NAME" or "grant:ID"; null when denied.</summary>
    public string? AllowedBy { get; init; }

    /// <summary>End of the permission; null for a standing rule (or when denied).</summary>
    public DateTimeOffset? Until { get; init; }

    public string? Explanation { get; init; }
}
