namespace MeshPorts.Ctl.Api;

/// <summary>One assertion of a policy file and whether it held.</summary>
internal sealed record PolicyTestResultView
{
    /// <summary>The test as written in the file.</summary>
    public required string Name { get; init; }

    public int Line { get; init; }

    public bool Passed { get; init; }

    /// <summary>What actually happened, e.g. "allowed by rule:x".</summary>
    public string? Message { get; init; }
}
