using System.Globalization;
using MeshPorts.Contracts.Transport;

namespace MeshPorts.LoadTest.Relay;

/// <summary>The relay's /metrics (docs/relay.md), read over its pinned TLS port: every sample as "name{labels}" → value.</summary>
internal static class RelayMetrics
{
    public static async Task<IReadOnlyDictionary<string, double>> ReadAsync(RelayServerInfo relay, CancellationToken cancellation)
    {
        using var http = new HttpClient(PinnedHttpHandler.Create(relay.Pin)) { BaseAddress = relay.Url, Timeout = TimeSpan.FromSeconds(10) };
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancellation).ConfigureAwait(false);
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var space = line.LastIndexOf(' ');
            if (line.StartsWith('#') || space <= 0 || !double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            samples[line[..space]] = value;
        }

        return samples;
    }

    /// <summary>How much every counter grew between two reads; only those that grew.</summary>
    public static IReadOnlyDictionary<string, double> Growth(IReadOnlyDictionary<string, double> before, IReadOnlyDictionary<string, double> after) =>
        after.Where(kv => kv.Value - before.GetValueOrDefault(kv.Key) > 0)
             .ToDictionary(kv => kv.Key, kv => kv.Value - before.GetValueOrDefault(kv.Key), StringComparer.Ordinal);
}
