namespace MeshPorts.Ctl.Api;

/// <summary>The nodes that were told to rotate their key now.</summary>
internal sealed record RotateView
{
    public IReadOnlyList<string> Nodes { get; init; } = [];
}
