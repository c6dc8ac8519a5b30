using System.Globalization;
using System.Text.Json;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>
/// One `iperf3 -c ... -J` run: the per-second byte counts and the error iperf3 reported, if any.
/// The server side is `iperf3 -s -B 127.0.0.1`, an exposed service like any other.
/// </summary>
internal sealed record Iperf3Run(bool Succeeded, string? Error, IReadOnlyList<long> IntervalBytes, long ReceivedBytes, string Output)
{
    public const int Port = 5201;

    public static BackgroundProcess StartServer(MeshNetwork network, MeshHost host) =>
        network.StartService("iperf3 -s on " + host.Role, host, ["iperf3", "-s", "-B", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture)]);

    public static async Task<Iperf3Run> RunClientAsync(MeshHost from, string address, int seconds, CancellationToken ct)
    {
        var result = await from.Namespace.ExecAsync(
            ["iperf3", "-c", address, "-p", Port.ToString(CultureInfo.InvariantCulture), "-t", seconds.ToString(CultureInfo.InvariantCulture), "-i", "1", "-J", "--connect-timeout", "5000"],
            ct,
            TimeSpan.FromSeconds(seconds + 60));
        return Parse(result.Succeeded, result.Stdout + result.Stderr);
    }

    public static Iperf3Run Parse(bool exitedZero, string output)
    {
        var start = output.IndexOf('{', StringComparison.Ordinal);
        var end = output.LastIndexOf('}');
        if (start < 0 || end < start)
        {
            return new Iperf3Run(false, "no JSON from iperf3", [], 0, output);
        }

        try
        {
            using var document = JsonDocument.Parse(output[start..(end + 1)]);
            var root = document.RootElement;
            var error = root.TryGetProperty("error", out var e) ? e.GetString() : null;
            List<long> intervals = root.TryGetProperty("intervals", out var list)
                ? [.. list.EnumerateArray().Select(i => (long)i.GetProperty("sum").GetProperty("bytes").GetDouble())]
                : [];
            var received = root.TryGetProperty("end", out var summary) && summary.TryGetProperty("sum_received", out var r)
                ? (long)r.GetProperty("bytes").GetDouble()
                : 0;
            return new Iperf3Run(exitedZero && error is null, error, intervals, received, output);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return new Iperf3Run(false, "unreadable iperf3 JSON: " + ex.Message, [], 0, output);
        }
    }
}
