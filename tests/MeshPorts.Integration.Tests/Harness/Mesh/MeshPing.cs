using System.Globalization;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>Counts ICMP echo replies from a host's namespace (iputils ping, replies waited for 2 s).</summary>
internal static class MeshPing
{
    public static async Task<PingResult> RunAsync(MeshHost from, string address, int count, double intervalSeconds, CancellationToken ct)
    {
        var interval = intervalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var result = await from.Namespace.ExecAsync(
            ["ping", "-n", "-q", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", interval, "-W", "2", address],
            ct,
            TimeSpan.FromSeconds((count * intervalSeconds) + 30));
        return PingResult.Parse(result.Stdout + result.Stderr);
    }
}
