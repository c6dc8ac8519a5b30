namespace MeshPorts.Ctl.Api;

/// <summary>The answer of <c>access check</c>: which rule or grant allows it and until when, or that nothing does.</summary>
internal sealed record AccessView
{
    public bool Allowed { get; init; }

    public required string From { get; init; }

    public required string To { get; init; }

    public DateTimeOffset? At { get; init; }

    /// <summary>"rule" or "grant", or null when denied.</summary>
    public string? By { get; init; }

    /// <summary>The rule's name or the grant's id.</summary>
    public string? Id { get; init; }

    public DateTimeOffset? Until { get; init; }

    public string? Reason { get; init; }
}
