namespace MeshPorts.Ctl.Api;

/// <summary>One assertion of a policy file and whether it held.</summary>
internal sealed record PolicyTestResultView
{
    public required string Name { get; init; }

    public bool Passed { get; init; }

    public string? Message { get; init; }
}
