namespace MeshPorts.Coordinator.State.Policy;

/// <summary>A parsed policy file.</summary>
internal sealed record PolicyDocument(string Text, IReadOnlyList<PolicyRule> Rules, IReadOnlyList<PolicyTest> Tests)
{
    public static PolicyDocument Empty { get; } = new("", [], []);
}
