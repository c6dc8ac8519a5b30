using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MeshPorts.LoadTest;

/// <summary>
/// <c>meshports-loadtest compare FIGURES.json [FIGURES2.json]</c>: the runs' figures side by side, the ratio of the
/// first to the second where one means something, and how the sizes compare with systems that resend the map.
/// </summary>
internal static class CompareReport
{
    public const string Usage = "Usage: meshports-loadtest compare FIGURES.json [FIGURES2.json]  (files written by --figures)";

    public static IReadOnlyList<string> ParseFiles(IReadOnlyList<string> args) =>
        args.Count is 1 or 2 && args.All(a => !a.StartsWith('-'))
            ? args
            : throw new ArgumentException($"compare takes one or two --figures files\n{Usage}");

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output)
    {
        var runs = new List<LoadFigures>();
        foreach (var path in ParseFiles(args))
        {
            var text = File.Exists(path) ? await File.ReadAllTextAsync(path).ConfigureAwait(false) : throw new ArgumentException($"{path}: no such file (the load run that writes it failed?)");
            runs.Add(JsonSerializer.Deserialize(text, LoadFiguresJson.Default.LoadFigures) ?? throw new ArgumentException($"{path}: not a figures file"));
        }

        await output.WriteAsync(Format(runs)).ConfigureAwait(false);
        return runs.All(r => r.Passed) ? 0 : 1;
    }

    public static string Format(IReadOnlyList<LoadFigures> runs)
    {
        var sb = new StringBuilder();
        var first = runs[0];
        sb.AppendLine(CultureInfo.InvariantCulture, $"== coordinator replicas: {first.Nodes} simulated nodes, {first.Replicas} replica(s), {first.GrantChanges} grant changes ==");
        var header = string.Concat(runs.Select(r => $" {r.Label,16}")) + (runs.Count == 2 ? $" {runs[0].Label + "/" + runs[1].Label,16}" : "");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"",-44}{header}");
        void Line(string what, Func<LoadFigures, double> value, string format, string unit, bool ratio = true)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{what,-44}");
            foreach (var r in runs)
            {
                var v = value(r);
                sb.Append(CultureInfo.InvariantCulture, $" {(double.IsNaN(v) ? "-" : v.ToString(format, CultureInfo.InvariantCulture) + unit),16}");
            }

            if (runs.Count == 2 && ratio && value(runs[1]) is var b && b != 0 && !double.IsNaN(b) && !double.IsNaN(value(runs[0])))
            {
                sb.Append(CultureInfo.InvariantCulture, $" {(value(runs[0]) / b).ToString("F2", CultureInfo.InvariantCulture) + "x",16}");
            }

            sb.AppendLine();
        }

        static double At(List<double> list, int i) => i < list.Count ? list[i] : double.NaN;
        Line(first.Replicas > 1 ? "enrollment, half through A, half through B" : "enrollment", r => r.EnrollPerSecond, "F0", " nodes/s");
        Line("Watch streams opened, all snapshots", r => r.WatchSeconds, "F1", " s");
        Line("delta latency p50", r => r.P50Ms, "F1", " ms");
        Line("delta latency p99 (target < 1000 ms)", r => r.P99Ms, "F1", " ms");
        Line("  p99, node on the grant's replica", r => r.SameReplicaP99Ms, "F1", " ms");
        Line("  p99, node on the other replica", r => r.OtherReplicaP99Ms, "F1", " ms");
        Line("delta latency max", r => r.MaxMs, "F1", " ms");
        Line("deltas lost", r => r.Lost, "F0", "", ratio: false);
        Line("one-peer grant add delta", r => r.AddDeltaBytes, "F0", " B", ratio: false);
        Line("one-peer grant revoke delta", r => r.RevokeDeltaBytes, "F0", " B", ratio: false);
        Line("snapshot, new node (no peers)", r => r.SnapshotBytes, "F0", " B", ratio: false);
        Line("snapshot, node seeing every node", r => r.FullMapSnapshotBytes, "F0", " B", ratio: false);
        Line("  full map / one-peer add delta", r => r.AddDeltaBytes == 0 ? double.NaN : (double)r.FullMapSnapshotBytes / r.AddDeltaBytes, "F0", "x", ratio: false);
        for (var i = 0; i < first.Replicas; i++)
        {
            var replica = i;
            Line($"CPU per grant change, replica {(char)('A' + i)}", r => At(r.CpuMsPerChange, replica), "F1", " ms");
        }

        for (var i = 0; i < first.Replicas; i++)
        {
            var replica = i;
            Line($"RSS replica {(char)('A' + i)} (target <= 1024 MiB)", r => At(r.RssMiB, replica), "F0", " MiB");
        }

        if (runs.Any(r => r.FailoverNodes > 0))
        {
            Line("failover: nodes that watched A", r => r.FailoverNodes, "F0", "", ratio: false);
            Line("  all on B with a snapshot, after kill -9", r => r.FailoverMaxSeconds, "F2", " s");
            Line("  p50", r => r.FailoverP50Seconds, "F2", " s");
            Line("  not back (count as lost)", r => r.FailoverMissing, "F0", "", ratio: false);
            Line("grant via B to former A nodes, max", r => r.AfterFailoverMaxMs, "F1", " ms");
            Line("  deltas lost", r => r.AfterFailoverLost, "F0", "", ratio: false);
            Line("RSS replica B after failover", r => r.RssAfterFailoverMiB, "F0", " MiB");
        }

        sb.AppendLine();
        sb.AppendLine(Comparison(first));
        sb.AppendLine(runs.All(r => r.Passed) ? "verdict: pass (p99 < 1 s, nothing lost)" : "verdict: FAIL (p99 >= 1 s, or a delta or a node was lost)");
        return sb.ToString();
    }

    /// <summary>The paragraph on Headscale and NetBird, with this run's own numbers.</summary>
    private static string Comparison(LoadFigures r)
    {
        var mapRatio = r.AddDeltaBytes == 0 ? double.NaN : (double)r.FullMapSnapshotBytes / r.AddDeltaBytes;
        return string.Create(CultureInfo.InvariantCulture, $"""
            Compared with others: Headscale is reported to slow down at a few hundred nodes; here a one-peer grant
            change recomputes only the two netmaps it alters (on the other replica too, after it reloads the rows
            from the database), and at {r.Nodes} nodes it reached the affected nodes, the one on the other replica
            included, at p99 {r.P99Ms:F0} ms. NetBird's management server sends every affected peer its full network map
            on each change; at {r.Nodes} nodes a map in which a node sees every other one is {r.FullMapSnapshotBytes} bytes
            here, while the delta MeshPorts sends for a one-peer grant add is {r.AddDeltaBytes} bytes (revoke
            {r.RevokeDeltaBytes}), {mapRatio:F0}x less, and it goes only to the two nodes the grant pairs.
            """);
    }
}
