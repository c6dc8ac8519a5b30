using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshPorts.Integration.Tests.Harness;

/// <summary>The summary line of iputils ping: "N packets transmitted, M received, ...".</summary>
internal sealed partial record PingResult(int Transmitted, int Received, string Output)
{
    public int Lost => Transmitted - Received;

    public static PingResult Parse(string output)
    {
        var match = SummaryLine().Match(output);
        if (!match.Success)
        {
            throw new FormatException($"no ping summary in:\n{output}");
        }

        return new PingResult(
            int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
            output);
    }

    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) (?:packets )?received")]
    private static partial Regex SummaryLine();
}
