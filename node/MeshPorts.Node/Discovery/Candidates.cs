using System.Net;
using MeshPorts.Node.Daemon;

namespace MeshPorts.Node.Discovery;

/// <summary>
/// The candidates a node reports: its <c>--endpoint</c> values first (the operator said so), then the
/// reflexive addresses STUN learned (what a peer behind another NAT can reach), then the host's own
/// addresses with the listen port. De-duplicated, only what the coordinator takes, at most 16.
/// </summary>
internal static class Candidates
{
    public static IReadOnlyList<string> Build(IEnumerable<string> endpoints, IEnumerable<IPEndPoint> reflexive, IEnumerable<string> local)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(reflexive);
        ArgumentNullException.ThrowIfNull(local);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        void Add(IPEndPoint endpoint)
        {
            if (result.Count < AdvertisedEndpoints.MaxCount && AdvertisedEndpoints.Canonical(endpoint) is { } text && seen.Add(text))
            {
                result.Add(text);
            }
        }

        foreach (var text in endpoints.Concat(reflexive.Select(a => a.ToString())).Concat(local))
        {
            if (IPEndPoint.TryParse(text, out var endpoint))
            {
                Add(endpoint);
            }
        }

        return result;
    }

    /// <summary>
    /// True when two servers saw the one WireGuard socket at different ports of the same address family:
    /// the NAT maps each destination apart (symmetric), so the reflexive port a peer is told will not be
    /// the one its packets arrive at.
    /// </summary>
    public static bool LooksSymmetric(IEnumerable<StunAnswer> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        return answers.Where(a => a.Mapped is not null)
            .Select(a => a.Mapped!)
            .Select(m => m.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(m.Address.MapToIPv4(), m.Port) : m)
            .GroupBy(m => m.AddressFamily)
            .Any(g => g.Select(m => m.Port).Distinct().Count() > 1);
    }
}
