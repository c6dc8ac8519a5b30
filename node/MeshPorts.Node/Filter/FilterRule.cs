using MeshPorts.Node.Routing;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Filter;

/// <summary>
/// One thing that lets a peer reach a local port: a standing policy rule or a temporary grant.
/// The rule names the peer by its WireGuard public key, so only traffic that peer encrypted can match.
/// </summary>
internal sealed class FilterRule
{
    public FilterRule(
        string id,
        FilterRuleKind kind,
        WgKey peer,
        FilterProtocol protocol,
        ushort portFrom,
        ushort portTo,
        DateTimeOffset? notAfter = null,
        IReadOnlyList<IpPrefix>? sourcePrefixes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (!Enum.IsDefined(protocol))
        {
            throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "A rule opens tcp, udp or icmp.");
        }

        if (portFrom > portTo)
        {
            throw new ArgumentException($"Port range {portFrom}-{portTo} is empty.", nameof(portTo));
        }

        if (kind == FilterRuleKind.Grant && notAfter is null)
        {
            throw new ArgumentException("A grant always has an end.", nameof(notAfter));
        }

        Id = id;
        Kind = kind;
        Peer = peer;
        Protocol = protocol;
        PortFrom = portFrom;
        PortTo = portTo;
        NotAfter = notAfter;
        SourcePrefixes = sourcePrefixes is null || sourcePrefixes.Count == 0 ? [] : [.. sourcePrefixes];
    }

    /// <summary>A single-port rule.</summary>
    public FilterRule(string id, FilterRuleKind kind, WgKey peer, FilterProtocol protocol, ushort port, DateTimeOffset? notAfter = null)
        : this(id, kind, peer, protocol, port, port, notAfter)
    {
    }

    /// <summary>Stable across rule-set replacements; a rule replaced by an identical one keeps its flows.</summary>
    public string Id { get; }

    public FilterRuleKind Kind { get; }

    /// <summary>The peer (WireGuard public key) the rule admits.</summary>
    public WgKey Peer { get; }

    public FilterProtocol Protocol { get; }

    /// <summary>First local port, inclusive. Ignored for ICMP.</summary>
    public ushort PortFrom { get; }

    /// <summary>Last local port, inclusive.</summary>
    public ushort PortTo { get; }

    /// <summary>The instant the rule stops admitting and its flows are cut; null for standing rules.</summary>
    public DateTimeOffset? NotAfter { get; }

    /// <summary>If not empty, the packet's source address must also lie in one of these.</summary>
    public IReadOnlyList<IpPrefix> SourcePrefixes { get; }

    public bool AllowsPort(FilterProtocol protocol, ushort port) =>
        protocol == Protocol && (protocol == FilterProtocol.Icmp || (port >= PortFrom && port <= PortTo));

    /// <summary>True when the source address (4 or 16 bytes) passes the optional prefix restriction.</summary>
    public bool AllowsSource(ReadOnlySpan<byte> address)
    {
        if (SourcePrefixes.Count == 0)
        {
            return true;
        }

        foreach (var prefix in SourcePrefixes)
        {
            if (prefix.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when both rules admit exactly the same traffic (ignoring when they end), so flows admitted
    /// under one stay admitted under the other.
    /// </summary>
    public bool MatchesSameTrafficAs(FilterRule other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Peer != other.Peer || Protocol != other.Protocol || PortFrom != other.PortFrom || PortTo != other.PortTo ||
            SourcePrefixes.Count != other.SourcePrefixes.Count)
        {
            return false;
        }

        for (var i = 0; i < SourcePrefixes.Count; i++)
        {
            if (SourcePrefixes[i] != other.SourcePrefixes[i])
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => $"{Kind} {Id} {Protocol} {PortFrom}-{PortTo} until {NotAfter?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "forever"}";
}
