using System.Diagnostics;
using MeshPorts.Contracts.Node;

namespace MeshPorts.LoadTest;

internal sealed partial class LoadRunner
{
    // Generous: a node retries every second or so (its backoff grows to at most 30 s), and B must send thousands of snapshots.
    private static readonly TimeSpan s_failoverTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Kills replica A (SIGKILL, no goodbye on its streams) and times until every node that watched it has a
    /// Watch stream on another replica and its snapshot; then one grant change through B between two of them.
    /// </summary>
    private async Task FailoverAsync(int pidA, CancellationToken cancellation)
    {
        var moved = _nodes.Where(n => n.Replica == 0).ToList();
        var snapshots = moved.Select(n => n.WaitFor(e => e.EventCase == WatchEvent.EventOneofCase.Snapshot)).ToArray();
        using (var a = Process.GetProcessById(pidA))
        {
            var t0 = Stopwatch.GetTimestamp();
            a.Kill();
            await Task.WhenAny(Task.WhenAll(snapshots), Task.Delay(s_failoverTimeout, cancellation)).ConfigureAwait(false);
            cancellation.ThrowIfCancellationRequested();
            var seconds = snapshots.Where(s => s.IsCompletedSuccessfully).Select(s => Stopwatch.GetElapsedTime(t0, s.Result.Timestamp).TotalSeconds).ToList();
            _figures.FailoverNodes = moved.Count;
            _figures.FailoverMissing = moved.Count - seconds.Count;
            _figures.FailoverP50Seconds = Percentiles.Of(seconds, 50);
            _figures.FailoverMaxSeconds = seconds.Count == 0 ? double.NaN : seconds.Max();
        }

        var stillOnA = moved.Count(n => n.Replica == 0);
        Row("failover: kill -9 replica A", $"{moved.Count} nodes watched A; all on another replica with a snapshot in {_figures.FailoverMaxSeconds:F2} s (p50 {_figures.FailoverP50Seconds:F2} s), {_figures.FailoverMissing} not back, {stillOnA} still pointed at A");

        // Two nodes that were on A, now on B: the grant goes through B, the only replica left.
        var (add, revoke) = await GrantOnceAsync(_admins[1], moved[0], moved[1], cancellation).ConfigureAwait(false);
        var millis = add.Millis.Concat(revoke.Millis).Where(m => !double.IsNaN(m)).ToList();
        _figures.AfterFailoverLost = add.Lost + revoke.Lost;
        _figures.AfterFailoverMaxMs = millis.Count == 0 ? double.NaN : millis.Max();
        _figures.RssAfterFailoverMiB = ProcessStats.Read(Pid(1)) is { } b ? b.RssKiB / 1024.0 : double.NaN;
        Row("grant through B after failover", $"add + revoke reached both former A nodes: max {_figures.AfterFailoverMaxMs:F1} ms, {_figures.AfterFailoverLost} deltas lost");
        Row("replica B after failover", $"RSS {_figures.RssAfterFailoverMiB:F1} MiB");
    }
}
