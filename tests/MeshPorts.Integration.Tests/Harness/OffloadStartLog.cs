using System.Text.RegularExpressions;

namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// The "offloads: TUN csum,tso4,..., UDP gso,gro" part of meshports-node's start line ("none" for
/// either side that has none).
/// </summary>
internal sealed partial record OffloadStartLog(string TunText, string UdpText)
{
    public IReadOnlySet<string> Tun => TunText.Split(',').ToHashSet();

    public IReadOnlySet<string> Udp => UdpText.Split(',').ToHashSet();

    /// <summary>The first such line in a daemon's output, or null when there is none.</summary>
    public static OffloadStartLog? Parse(string daemonOutput)
    {
        var match = Line().Match(daemonOutput);
        return match.Success ? new OffloadStartLog(match.Groups[1].Value, match.Groups[2].Value) : null;
    }

    // The TUN list ends at the ", UDP " that follows it: lazy, so its last item keeps no comma.
    [GeneratedRegex(@"offloads: TUN ([a-z0-9]+(?:,[a-z0-9]+)*?), UDP ([a-z0-9]+(?:,[a-z0-9]+)*)")]
    private static partial Regex Line();
}
