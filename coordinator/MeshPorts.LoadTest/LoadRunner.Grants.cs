using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;

namespace MeshPorts.LoadTest;

internal sealed partial class LoadRunner
{
    /// <summary>
    /// Grant pair k (nodes 2k and 2k+1) is added and revoked through replica k mod R. With two replicas node 2k
    /// watches A and 2k+1 watches B, so every change reaches one node on its own replica and one on the other.
    /// </summary>
    private async Task GrantLatencyAsync(CancellationToken cancellation)
    {
        var same = new List<double>();
        var other = new List<double>();
        var lost = 0;
        var pairs = Math.Min(options.Grants, _nodes.Count / 2);
        var latencyStart = Stopwatch.GetTimestamp();
        var cpuBefore = Enumerable.Range(0, ReplicaCount).Select(r => ProcessStats.Read(Pid(r))).ToArray();
        for (var k = 0; k < pairs; k++)
        {
            var via = k % ReplicaCount;
            var (add, revoke) = await GrantOnceAsync(_admins[via], _nodes[2 * k], _nodes[(2 * k) + 1], cancellation).ConfigureAwait(false);
            foreach (var m in new[] { add, revoke })
            {
                lost += m.Lost;
                for (var j = 0; j < m.Millis.Length; j++)
                {
                    if (!double.IsNaN(m.Millis[j]))
                    {
                        (_nodes[(2 * k) + j].Replica == via ? same : other).Add(m.Millis[j]);
                    }
                }
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(latencyStart).TotalSeconds;
        var all = same.Concat(other).ToList();
        var changes = 2 * pairs;
        _figures.GrantChanges = changes;
        _figures.P50Ms = Percentiles.Of(all, 50);
        _figures.P99Ms = Percentiles.Of(all, 99);
        _figures.MaxMs = all.Count == 0 ? double.NaN : all.Max();
        _figures.SameReplicaP99Ms = Percentiles.Of(same, 99);
        _figures.OtherReplicaP99Ms = Percentiles.Of(other, 99);
        _figures.Lost += lost;
        Row($"grant changes at {_nodes.Count} nodes", $"{pairs} adds + {pairs} revokes in {elapsed:F1} s, {lost} deltas lost");
        Row("delta latency p50", $"{_figures.P50Ms:F1} ms");
        Row("delta latency p99", $"{_figures.P99Ms:F1} ms (target < 1000 ms)");
        Row("delta latency max", $"{_figures.MaxMs:F1} ms");
        if (ReplicaCount > 1)
        {
            Row("  p99 at nodes on the grant's replica", $"{_figures.SameReplicaP99Ms:F1} ms ({same.Count} deltas)");
            Row("  p99 at nodes on another replica", $"{_figures.OtherReplicaP99Ms:F1} ms ({other.Count} deltas)");
        }

        _figures.CpuMsPerChange = [.. Enumerable.Range(0, ReplicaCount).Select(r =>
            cpuBefore[r] is { } b && ProcessStats.Read(Pid(r)) is { } a ? (a.CpuSeconds - b.CpuSeconds) * 1000 / changes : double.NaN)];
        for (var r = 0; r < ReplicaCount; r++)
        {
            Row($"CPU per grant change, replica {(char)('A' + r)}", $"{_figures.CpuMsPerChange[r]:F1} ms");
        }
    }

    /// <summary>
    /// A grant from tag:load (every node) to the newest node makes that node see all the others; the size of its
    /// snapshot then is the size of a full network map, what a system that resends the map on every change sends.
    /// </summary>
    private async Task<int> FullMapSnapshotAsync(CancellationToken cancellation)
    {
        var target = _nodes[^1];
        var other = _nodes[0];
        var seen = target.WaitFor(e => e.Delta is { } d && d.PeersUpserted.Any(p => p.NodeId == other.NodeId));
        var grant = await _admins[0].AddGrantAsync(
            new AddGrantRequest { From = "tag:load", To = target.Name, Port = 5432, Protocol = Protocol.Tcp, Duration = Duration.FromTimeSpan(TimeSpan.FromMinutes(30)), Reason = "loadtest full map" },
            cancellationToken: cancellation).ConfigureAwait(false);
        await seen.WaitAsync(TimeSpan.FromMinutes(2), cancellation).ConfigureAwait(false);
        var bytes = await target.FetchSnapshotBytesAsync(_replicas[target.Replica], cancellation).ConfigureAwait(false);
        var dropped = target.WaitFor(e => e.Delta is { } d && d.PeersRemoved.Contains(other.NodeId));
        await _admins[0].RevokeGrantAsync(new RevokeGrantRequest { Id = grant.Grant.Id }, cancellationToken: cancellation).ConfigureAwait(false);
        await dropped.WaitAsync(TimeSpan.FromMinutes(2), cancellation).ConfigureAwait(false);

        // Let every other node's delta of that revoke drain before latencies are measured.
        await Task.Delay(TimeSpan.FromSeconds(2), cancellation).ConfigureAwait(false);
        return bytes;
    }

    private static bool Mentions(WatchEvent e, string nodeId) =>
        e.Delta is { } d && (d.PeersUpserted.Any(p => p.NodeId == nodeId) || d.RulesAdded.Any(r => r.SourceNodeId == nodeId));

    private static bool Drops(WatchEvent e, string nodeId) =>
        e.Delta is { } d && (d.PeersRemoved.Contains(nodeId) || d.RulesRemoved.Count > 0);

    /// <summary>Adds a grant a→b:5432/tcp through <paramref name="admin"/>, waits for both nodes' deltas, revokes it, waits again.</summary>
    private static async Task<(Measured Add, Measured Revoke)> GrantOnceAsync(Admin.AdminClient admin, SimNode a, SimNode b, CancellationToken cancellation)
    {
        var waits = new[] { a.WaitFor(e => Mentions(e, b.NodeId)), b.WaitFor(e => Mentions(e, a.NodeId)) };
        var t0 = Stopwatch.GetTimestamp();
        var grant = await admin.AddGrantAsync(
            new AddGrantRequest { From = a.Name, To = b.Name, Port = 5432, Protocol = Protocol.Tcp, Duration = Duration.FromTimeSpan(TimeSpan.FromMinutes(30)), Reason = "loadtest" },
            cancellationToken: cancellation).ConfigureAwait(false);
        var add = await MeasureAsync(t0, waits, cancellation).ConfigureAwait(false);

        waits = [a.WaitFor(e => Drops(e, b.NodeId)), b.WaitFor(e => Drops(e, a.NodeId))];
        t0 = Stopwatch.GetTimestamp();
        await admin.RevokeGrantAsync(new RevokeGrantRequest { Id = grant.Grant.Id }, cancellationToken: cancellation).ConfigureAwait(false);
        var revoke = await MeasureAsync(t0, waits, cancellation).ConfigureAwait(false);
        return (add, revoke);
    }

    /// <summary>Latency per waiting node (NaN where its delta did not come within the timeout, counted as lost).</summary>
    private static async Task<Measured> MeasureAsync(long t0, Task<Arrival>[] waits, CancellationToken cancellation)
    {
        await Task.WhenAny(Task.WhenAll(waits), Task.Delay(s_deltaTimeout, cancellation)).ConfigureAwait(false);
        cancellation.ThrowIfCancellationRequested();
        var millis = waits.Select(w => w.IsCompletedSuccessfully ? Stopwatch.GetElapsedTime(t0, w.Result.Timestamp).TotalMilliseconds : double.NaN).ToArray();
        var bytes = waits.Where(w => w.IsCompletedSuccessfully).Select(w => w.Result.Bytes).DefaultIfEmpty(0).Max();
        return new Measured(millis, bytes, millis.Count(double.IsNaN));
    }
}
