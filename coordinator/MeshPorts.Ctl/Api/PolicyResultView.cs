namespace MeshPorts.Ctl.Api;

/// <summary>The outcome of <c>policy apply</c> or <c>policy test</c>: valid, tests, and whether anything changed.</summary>
internal sealed record PolicyResultView
{
    public bool Ok { get; init; }

    public bool Applied { get; init; }

    public IReadOnlyList<string> Errors { get; init; } = [];

    public IReadOnlyList<PolicyTestResultView> Tests { get; init; } = [];

    public int RuleCount { get; init; }

    /// <summary>SHA-256 of the policy text, so two applies of one file can be told apart from a change.</summary>
    public string? Version { get; init; }
}
