using System.Net;
using System.Net.Sockets;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Routing;
using ProtoPeer = MeshPorts.Contracts.Node.Peer;

namespace MeshPorts.Node.Names;

/// <summary>
/// The names one node answers under its suffix: itself and the peers its netmap lists (the ones it may
/// reach), lowercase, each with its overlay IPv4 and IPv6. Immutable: a netmap change builds a new zone.
/// Pure; time is the caller's monotonic now.
/// </summary>
internal sealed class NameZone
{
    /// <summary>The suffix when the coordinator names none (one older than SelfInfo.dns_suffix).</summary>
    public const string DefaultSuffix = "mesh";

    private readonly Dictionary<string, NameEntry> _entries;

    private NameZone(string suffix, Dictionary<string, NameEntry> entries)
    {
        Suffix = suffix;
        _entries = entries;
    }

    /// <summary>Lowercase, no leading or trailing dot ("mesh", "corp.example").</summary>
    public string Suffix { get; }

    public int Count => _entries.Count;

    public IEnumerable<NameEntry> Entries => _entries.Values;

    /// <summary>
    /// The zone of a netmap: <paramref name="self"/> (with <paramref name="fallbackSelf"/> before the first
    /// snapshot says who the node is) and every peer with a usable name and end, its deadline taken on
    /// <paramref name="clock"/> now. A peer whose name is taken (by the node itself or an earlier node id)
    /// or is no DNS label is left out rather than guessed at.
    /// </summary>
    public static NameZone Build(SelfInfo? self, NameEntry fallbackSelf, IEnumerable<ProtoPeer> peers, CoordinatorClock clock)
    {
        ArgumentNullException.ThrowIfNull(fallbackSelf);
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(clock);
        var suffix = string.IsNullOrEmpty(self?.DnsSuffix) ? DefaultSuffix : self.DnsSuffix.Trim('.').ToLowerInvariant();
        var entries = new Dictionary<string, NameEntry>(StringComparer.Ordinal);
        var selfEntry = self is null ? fallbackSelf : new NameEntry(
            Label(self.Name) ?? fallbackSelf.Name,
            Parse(self.OverlayIpv4, AddressFamily.InterNetwork) ?? fallbackSelf.Ipv4,
            Parse(self.OverlayIpv6, AddressFamily.InterNetworkV6) ?? fallbackSelf.Ipv6,
            long.MaxValue,
            IsSelf: true);
        entries[selfEntry.Name] = selfEntry;
        foreach (var peer in peers.OrderBy(p => p.NodeId, StringComparer.Ordinal))
        {
            if (Label(peer.Name) is not { } name || peer.ValidUntil is null || entries.ContainsKey(name))
            {
                continue;
            }

            IPAddress? v4 = null, v6 = null;
            foreach (var text in peer.AllowedIps)
            {
                // Only host routes are the peer's own address; a wider prefix is a subnet it routes.
                if (IpPrefix.TryParse(text, out var prefix))
                {
                    if (prefix.Address.AddressFamily == AddressFamily.InterNetwork && prefix.Length == 32)
                    {
                        v4 ??= prefix.Address;
                    }
                    else if (prefix.Address.AddressFamily == AddressFamily.InterNetworkV6 && prefix.Length == 128)
                    {
                        v6 ??= prefix.Address;
                    }
                }
            }

            if (v4 is null && v6 is null)
            {
                continue;
            }

            entries[name] = new NameEntry(name, v4, v6, clock.DeadlineTicks(peer.ValidUntil.ToDateTimeOffset()), IsSelf: false);
        }

        return new NameZone(suffix, entries);
    }

    /// <summary>A zone with only the node itself, before any netmap.</summary>
    public static NameZone SelfOnly(NameEntry self) => new(DefaultSuffix, new(StringComparer.Ordinal) { [self.Name] = self });

    /// <summary>
    /// The live entry of <paramref name="label"/> (already lowercase), or null: not listed, or its end has
    /// passed on the node's clock.
    /// </summary>
    public NameEntry? Find(string label, long nowTicks) =>
        _entries.TryGetValue(label, out var entry) && entry.IsLive(nowTicks) ? entry : null;

    /// <summary>The live entry that owns <paramref name="address"/> (who asked, for a peer's query), or null.</summary>
    public NameEntry? FindByAddress(IPAddress address, long nowTicks)
    {
        foreach (var entry in _entries.Values)
        {
            if (entry.Has(address) && entry.IsLive(nowTicks))
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>A node name as one lowercase DNS label (RFC 1123 letters, digits, hyphen; 1-63), or null.</summary>
    public static string? Label(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 63 || name[0] == '-' || name[^1] == '-')
        {
            return null;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return null;
            }
        }

        return name.ToLowerInvariant();
    }

    private static IPAddress? Parse(string text, AddressFamily family) =>
        IPAddress.TryParse(text, out var address) && address.AddressFamily == family ? address : null;
}
