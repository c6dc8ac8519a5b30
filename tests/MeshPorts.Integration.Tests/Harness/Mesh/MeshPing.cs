using System.Globalization;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>
/// Counts ICMP echo replies from a host's namespace (iputils ping, replies waited for 2 s). Every
/// reply is printed with its time (-D) and a reply still missing when the next request goes out is
/// reported (-O), so a loss can be lined up with the daemons' logs.
/// </summary>
internal static class MeshPing
{
    /// <summary>The -O lines ("no answer yet for icmp_seq=N", with -D's time): where replies were late or lost.</summary>
    public static string Gaps(PingResult result)
    {
        var gaps = result.Output.Split('\n').Where(line => line.Contains("no answer yet", StringComparison.Ordinal)).ToList();
        return gaps.Count == 0 ? "(no reply was late)" : string.Join('\n', gaps.Take(50));
    }

    public static async Task<PingResult> RunAsync(MeshHost from, string address, int count, double intervalSeconds, CancellationToken ct)
    {
        var interval = intervalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var result = await from.Namespace.ExecAsync(
            ["ping", "-n", "-D", "-O", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", interval, "-W", "2", address],
            ct,
            TimeSpan.FromSeconds((count * intervalSeconds) + 30));
        return PingResult.Parse(result.Stdout + result.Stderr);
    }
}
