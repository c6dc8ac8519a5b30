using System.Collections.Concurrent;
using System.Net;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Access;

/// <summary>
/// What nodes report they refused: audited, and turned into one probe alert per source per window. Runs without
/// the gate: it reads only the enrolled-directory snapshot, and its own tables are safe for concurrent use.
/// </summary>
internal sealed class DeniedFlowReports
{
    private readonly MeshContext _ctx;
    private readonly MeshModel _model;
    private readonly DeniedFlowAggregator _flows;
    private readonly ConcurrentDictionary<string, long> _lastDeniedReport = new(StringComparer.Ordinal);

    public DeniedFlowReports(MeshContext ctx, MeshModel model)
    {
        _ctx = ctx;
        _model = model;
        var o = ctx.Options;
        _flows = new DeniedFlowAggregator(o.ProbeAlertThreshold, o.ProbeAlertWindow, o.MaxProbeSources, o.MaxProbeTargetsPerSource);
    }

    /// <summary>
    /// Audits a node's denied-flow report and raises one alert per probing source per window. A report is
    /// the node's word only: each flow must be one the node could have seen (to its own overlay address,
    /// in range), invalid ones are dropped and counted, and an alert names a source only as the enrolled
    /// node holding that overlay address, never an address a node typed in.
    /// </summary>
    public async Task ReportDeniedFlowsAsync(NodeRecord node, IReadOnlyList<DeniedFlowInput> flows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(flows);
        var now = _ctx.Now;
        if (!TryTakeReportSlot(node.Id, now))
        {
            _ctx.Metrics.DeniedReportRefused();
            throw new StateException(StateError.ResourceExhausted, FormattableString.Invariant(
                $"denied-flow reports from one node must be at least {_ctx.Options.MinDeniedReportInterval.TotalSeconds:0.###}s apart; send the next one later"));
        }

        if (flows.Count > _ctx.Options.MaxDeniedFlowsPerReport)
        {
            _ctx.Metrics.DeniedReportRefused();
            throw new StateException(StateError.ResourceExhausted, FormattableString.Invariant(
                $"a denied-flow report carries at most {_ctx.Options.MaxDeniedFlowsPerReport} flows; got {flows.Count}"));
        }

        var ownAddresses = new[] { IPAddress.Parse(OverlayAddressing.Ipv4(node.AddressIndex)), IPAddress.Parse(_model.Addressing.Ipv6(node.AddressIndex)) };
        var directory = _model.Directory;
        var accepted = new List<(DeniedFlowInput Flow, long Count, NodeRecord? From)>(flows.Count);
        foreach (var f in flows)
        {
            if (DeniedFlowCheck.IsValid(f, ownAddresses, out var source, out var count))
            {
                accepted.Add((f, count, directory.NodeAt(source)));
            }
        }

        if (accepted.Count < flows.Count)
        {
            _ctx.Metrics.DeniedFlowsDropped(flows.Count - accepted.Count);
        }

        if (accepted.Count == 0)
        {
            return;
        }

        await _ctx.Audit.AppendAsync("flow.denied", "node:" + node.Name, node.Name, "denied",
            new
            {
                flows = accepted.Count,
                dropped = flows.Count - accepted.Count,
                packets = accepted.Sum(a => a.Count),
                sample = accepted.Take(20).Select(a => a.From is { } from
                    ? FormattableString.Invariant($"node:{from.Name}({a.Flow.SourceAddress})->{a.Flow.Port}/{a.Flow.Protocol}")
                    : FormattableString.Invariant($"{a.Flow.SourceAddress}(not an enrolled node)->{a.Flow.Port}/{a.Flow.Protocol}")).ToArray(),
            },
            cancellationToken);
        foreach (var (f, _, from) in accepted)
        {
            if (from is null)
            {
                continue;
            }

            var distinct = _flows.Record(from.Id, FormattableString.Invariant($"{node.Name}:{f.Port}/{f.Protocol}"), now);
            if (distinct is not null)
            {
                await _ctx.Audit.AppendAsync("flow.alert", "node:" + node.Name, from.Name, "alert",
                    new
                    {
                        source = from.Name,
                        sourceAddress = f.SourceAddress,
                        distinctTargets = distinct.Value,
                        window = DurationText.Format(_ctx.Options.ProbeAlertWindow),
                        reportedBy = node.Name,
                    },
                    cancellationToken);
            }
        }
    }

    /// <summary>One report per node per <see cref="Options.CoordinatorOptions.MinDeniedReportInterval"/>, taken atomically.</summary>
    private bool TryTakeReportSlot(string nodeId, long now)
    {
        var min = (long)_ctx.Options.MinDeniedReportInterval.TotalMilliseconds;
        while (true)
        {
            if (!_lastDeniedReport.TryGetValue(nodeId, out var last))
            {
                if (_lastDeniedReport.TryAdd(nodeId, now))
                {
                    return true;
                }

                continue;
            }

            // A clock stepped back (now < last) restarts the gap rather than refusing until it catches up.
            if (now >= last && now - last < min)
            {
                return false;
            }

            if (_lastDeniedReport.TryUpdate(nodeId, now, last))
            {
                return true;
            }
        }
    }
}
