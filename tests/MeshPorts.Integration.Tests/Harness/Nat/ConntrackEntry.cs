using System.Globalization;

namespace MeshPorts.Integration.Tests.Harness.Nat;

/// <summary>
/// One line of `conntrack -L`: the original tuple (as the LAN host sent it) and the reply tuple (what
/// the far end sees and answers to: its destination is the public address and port of the mapping).
/// </summary>
internal sealed record ConntrackEntry(
    string Protocol,
    string Source,
    int SourcePort,
    string Destination,
    int DestinationPort,
    string ReplySource,
    int ReplySourcePort,
    string ReplyDestination,
    int ReplyDestinationPort)
{
    /// <summary>The public endpoint the router mapped the flow to (the reply's destination).</summary>
    public string Public => string.Create(CultureInfo.InvariantCulture, $"{ReplyDestination}:{ReplyDestinationPort}");

    /// <summary>Parses the tcp and udp lines of `conntrack -L` output; other lines (the summary, icmp) are skipped.</summary>
    public static IReadOnlyList<ConntrackEntry> ParseAll(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(TryParse).OfType<ConntrackEntry>()];

    public static ConntrackEntry? TryParse(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || words[0] is not ("udp" or "tcp"))
        {
            return null;
        }

        // Each of src, dst, sport, dport appears twice: first the original direction, then the reply.
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var word in words)
        {
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                var key = word[..eq];
                if (!values.TryGetValue(key, out var list))
                {
                    values[key] = list = [];
                }

                list.Add(word[(eq + 1)..]);
            }
        }

        string? Get(string key, int i) => values.TryGetValue(key, out var list) && list.Count > i ? list[i] : null;
        int? Port(string key, int i) =>
            int.TryParse(Get(key, i), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;

        return Get("src", 1) is { } replySource && Get("dst", 1) is { } replyDestination
            && Get("src", 0) is { } source && Get("dst", 0) is { } destination
            && Port("sport", 0) is { } sport && Port("dport", 0) is { } dport
            && Port("sport", 1) is { } replySport && Port("dport", 1) is { } replyDport
            ? new ConntrackEntry(words[0], source, sport, destination, dport, replySource, replySport, replyDestination, replyDport)
            : null;
    }
}
