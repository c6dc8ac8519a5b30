using System.Text.RegularExpressions;
using MeshPorts.Contracts.Collections;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Endpoints;

/// <summary>
/// ReportEndpoints and CallMe (docs/nat.md). A report's candidates and home relay reach the peers that
/// may see the node in one delta; an unchanged report publishes nothing. A call-me goes only to a peer
/// in the caller's netmap, only to its open streams, and is never queued: it is worth something only now.
/// </summary>
internal sealed partial class EndpointReports
{
    public const int MaxPaths = 4096;

    private static readonly HashSet<string> PathKinds = new(StringComparer.Ordinal) { "direct", "relay-udp", "relay-tls", "none" };

    private readonly MeshContext _ctx;
    private readonly MeshModel _model;
    private readonly Netmaps.NetmapRecompute _recompute;
    private readonly TokenBuckets _reports = new(rate: 1, burst: 5, maxKeys: 100_000);
    private readonly TokenBuckets _calls = new(rate: 4, burst: 4, maxKeys: 100_000);

    public EndpointReports(MeshContext ctx, MeshModel model, Netmaps.NetmapRecompute recompute)
    {
        _ctx = ctx;
        _model = model;
        _recompute = recompute;
    }

    public async Task ReportAsync(NodeRecord node, IReadOnlyList<string> candidates, string homeRelay, IReadOnlyList<ReportedPath> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(homeRelay);
        ArgumentNullException.ThrowIfNull(paths);
        if (!_reports.TryTake(node.Id, _ctx.Now))
        {
            _ctx.Metrics.EndpointReport(accepted: false);
            throw new StateException(StateError.ResourceExhausted, "more than one endpoint report a second; report when your candidates change, at most once a second");
        }

        var refusal = NodeEndpoints.Check(candidates)
            ?? (homeRelay.Length > 0 && !RelayId().IsMatch(homeRelay) ? "home_relay must be a relay id (1-32 of a-z, 0-9 and '-') or empty" : null)
            ?? (paths.Count > MaxPaths ? $"{paths.Count} paths reported; at most {MaxPaths}" : null)
            ?? paths.Select(PathRefusal).FirstOrDefault(r => r is not null);
        if (refusal is not null)
        {
            _ctx.Metrics.EndpointReport(accepted: false);
            throw new StateException(StateError.InvalidArgument, refusal);
        }

        var report = new ReportedEndpoints([.. candidates.Distinct(StringComparer.Ordinal)], homeRelay, paths);
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!_model.Nodes.ContainsKey(node.Id))
            {
                throw new StateException(StateError.NotFound, "this node was removed from the mesh; enroll again with a new join string");
            }

            var before = _model.Reported.GetValueOrDefault(node.Id);
            _model.Reported[node.Id] = report;
            if (!report.SameReach(before))
            {
                _recompute.RecomputeLocked(Netmaps.NetmapChange.Reach(node.Id));
            }
        }
        finally
        {
            _model.Gate.Release();
        }

        _ctx.Metrics.EndpointReport(accepted: true);
    }

    /// <summary>
    /// The caller's endpoints as its peers get them, for a call-me. PermissionDenied when
    /// <paramref name="peerNodeId"/> is not in the caller's netmap as published (<paramref name="callerPeers"/>),
    /// in the same words whether or not such a node exists.
    /// </summary>
    public IReadOnlyList<string> CheckCallMe(NodeRecord node, string peerNodeId, IReadOnlyCollection<string> callerPeers)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(callerPeers);
        if (!_calls.TryTake(node.Id, _ctx.Now))
        {
            _ctx.Metrics.CallMe(delivered: false);
            throw new StateException(StateError.ResourceExhausted, "more than 4 call-me requests a second; probe again in a moment");
        }

        if (string.IsNullOrEmpty(peerNodeId) || !callerPeers.Contains(peerNodeId, StringComparer.Ordinal))
        {
            _ctx.Metrics.CallMe(delivered: false);
            throw new StateException(StateError.PermissionDenied, "that node is not a peer in your netmap; a call-me goes only to a peer you may reach");
        }

        return ReportedEndpoints.AfterEnrolled(node.Endpoints, _model.Reported.GetValueOrDefault(node.Id));
    }

    // Paths are shown to admins (meshctl nodes show): every field is held to a shape with no room for
    // control characters or terminal escapes, whatever the node sends.
    private static string? PathRefusal(ReportedPath p) =>
        !NodeId().IsMatch(p.PeerNodeId) ? $"path peer '{Shown(p.PeerNodeId)}' must be a node id (n_ and 16 hex digits)"
        : !PathKinds.Contains(p.Path) ? $"path '{Shown(p.Path)}' must be direct, relay-udp, relay-tls or none"
        : p.Endpoint.Length > 0 && !RelayId().IsMatch(p.Endpoint) && NodeEndpoints.Check([p.Endpoint]) is not null
            ? $"path endpoint '{Shown(p.Endpoint)}' must be IP:PORT, a relay id or empty"
        : p.RttMicroseconds < 0 ? "path rtt_us must not be negative"
        : null;

    private static string Shown(string text) => text.Length > 16 ? text[..16] + "..." : text;

    [GeneratedRegex("^[a-z0-9-]{1,32}$", RegexOptions.CultureInvariant)]
    private static partial Regex RelayId();

    [GeneratedRegex("^n_[0-9a-f]{16}$", RegexOptions.CultureInvariant)]
    private static partial Regex NodeId();
}
