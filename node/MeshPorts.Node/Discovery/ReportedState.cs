namespace MeshPorts.Node.Discovery;

/// <summary>What a report says that a change of must reach the coordinator soon: the candidates and the home relay.</summary>
internal sealed record ReportedState(IReadOnlyList<string> Candidates, string? HomeRelay)
{
    public bool Equals(ReportedState? other) =>
        other is not null && Candidates.SequenceEqual(other.Candidates, StringComparer.Ordinal) && string.Equals(HomeRelay, other.HomeRelay, StringComparison.Ordinal);

    public override int GetHashCode() => HashCode.Combine(Candidates.Count, HomeRelay);
}
