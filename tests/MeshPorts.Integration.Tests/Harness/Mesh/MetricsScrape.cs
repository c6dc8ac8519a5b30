using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>One scrape of a node's /metrics with `curl`, parsed from the Prometheus text format.</summary>
internal sealed partial class MetricsScrape
{
    private readonly List<(string Name, IReadOnlyDictionary<string, string> Labels, double Value)> _samples = [];

    private MetricsScrape(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            var match = SampleLine().Match(line);
            if (!match.Success)
            {
                throw new FormatException($"not a sample line: `{line}` in\n{text}");
            }

            var labels = LabelPair().Matches(match.Groups["labels"].Value)
                .ToDictionary(m => m.Groups[1].Value, m => Regex.Unescape(m.Groups[2].Value), StringComparer.Ordinal);
            _samples.Add((match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
    }

    public string Text { get; }

    /// <summary>`curl` in <paramref name="host"/>'s namespace; fails with curl's output unless it answers 200.</summary>
    public static async Task<MetricsScrape> FetchAsync(MeshHost host, string url, CancellationToken ct)
    {
        var text = await host.Namespace.ExecCheckedAsync(["curl", "--silent", "--show-error", "--fail", "--max-time", "10", url], ct, TimeSpan.FromSeconds(20));
        return new MetricsScrape(text);
    }

    /// <summary>The HTTP status `curl` saw for <paramref name="method"/> <paramref name="url"/>.</summary>
    public static async Task<string> StatusCodeAsync(MeshHost host, string method, string url, CancellationToken ct) =>
        (await host.Namespace.ExecCheckedAsync(
            ["curl", "--silent", "--output", "/dev/null", "--write-out", "%{http_code}", "--max-time", "10", "--request", method, url], ct, TimeSpan.FromSeconds(20))).Trim();

    /// <summary>The value of the one sample named <paramref name="name"/> carrying these labels (others may be present), or null.</summary>
    public double? Value(string name, params (string Label, string Value)[] labels)
    {
        var matches = _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).ToList();
        return matches.Count switch
        {
            0 => null,
            1 => matches[0].Value,
            _ => throw new InvalidOperationException($"{matches.Count} samples of {name} match; give more labels"),
        };
    }

    public IEnumerable<IReadOnlyDictionary<string, string>> LabelsOf(string name) => _samples.Where(s => s.Name == name).Select(s => s.Labels);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>.*)\})? (?<value>\S+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)""")]
    private static partial Regex LabelPair();
}
