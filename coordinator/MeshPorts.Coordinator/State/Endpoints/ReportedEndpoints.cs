namespace MeshPorts.Coordinator.State.Endpoints;

/// <summary>How a node reaches one peer, as it last said (shown only).</summary>
internal sealed record ReportedPath(string PeerNodeId, string Path, string Endpoint, long RttMicroseconds);

/// <summary>
/// A node's last ReportEndpoints: its discovered candidates and home relay (which reach its peers in
/// their netmaps) and its paths (shown only). Kept in memory: a node reports again after a restart.
/// </summary>
internal sealed record ReportedEndpoints(IReadOnlyList<string> Candidates, string HomeRelay, IReadOnlyList<ReportedPath> Paths)
{
    /// <summary>
    /// What peers are told of a node: the endpoints given at enrollment first (a peer without a path manager
    /// uses the first), then the discovered ones not already among them.
    /// </summary>
    public static IReadOnlyList<string> AfterEnrolled(IReadOnlyList<string> enrolled, ReportedEndpoints? report) =>
        report is null || report.Candidates.Count == 0
            ? enrolled
            : [.. enrolled, .. report.Candidates.Where(c => !enrolled.Contains(c, StringComparer.Ordinal))];

    public bool SameReach(ReportedEndpoints? other) =>
        other is not null && other.HomeRelay == HomeRelay && other.Candidates.SequenceEqual(Candidates, StringComparer.Ordinal);
}
