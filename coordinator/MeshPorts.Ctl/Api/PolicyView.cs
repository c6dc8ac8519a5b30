namespace MeshPorts.Ctl.Api;

/// <summary>The policy in force, as its source text.</summary>
internal sealed record PolicyView
{
    public required string Text { get; init; }

    public string? Version { get; init; }

    public DateTimeOffset? AppliedAt { get; init; }

    /// <summary>False until a policy is applied: the coordinator then answers with no version.</summary>
    public bool Applied => Version is not null;
}
