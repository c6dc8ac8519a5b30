using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MeshPorts.Contracts.Grammar;

namespace MeshPorts.Coordinator.State;

/// <summary>
/// The underlay endpoints a node may advertise. Peers send handshakes to them, so a name, an unspecified,
/// multicast or broadcast address would let one node aim every peer's traffic at a third party or at nobody.
/// </summary>
internal static class NodeEndpoints
{
    public const int MaxCount = 16;

    // "[" + 39 chars of IPv6 + "]:" + 5 digits; anything longer is not one of ours.
    private const int MaxLength = 47;

    /// <summary>Returns null if every endpoint is acceptable, else a one-line error naming the fix.</summary>
    public static string? Check(IReadOnlyList<string> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.Count > MaxCount)
        {
            return FormattableString.Invariant($"{endpoints.Count} endpoints given; advertise at most {MaxCount} (--endpoint ADDRESS:PORT)");
        }

        foreach (var e in endpoints)
        {
            if (!TryParse(e, out var address, out _))
            {
                var shown = e.Length > MaxLength ? e[..MaxLength] + "..." : e;
                return $"endpoint '{shown}' is not an IP address with a port 1-65535; advertise e.g. 192.0.2.10:51820 or [2001:db8::1]:51820 (no host names)";
            }

            var why = Unusable(address);
            if (why is not null)
            {
                return $"endpoint '{e}' is {why}; advertise an address peers can send to";
            }
        }

        return null;
    }

    /// <summary>Exactly <c>a.b.c.d:port</c> or <c>[ipv6]:port</c>: no names, no scope ids, no shorthand IPv4 forms.</summary>
    private static bool TryParse(string text, out IPAddress address, out int port)
    {
        address = IPAddress.None;
        port = 0;
        if (text.Length is 0 or > MaxLength)
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !Ports.TryParse(text.AsSpan(colon + 1), out port)
            || text.Length - colon - 1 > 5)
        {
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            var inner = host[1..^1];
            return !inner.Contains('%', StringComparison.Ordinal) && IPAddress.TryParse(inner, out address!) && address.AddressFamily == AddressFamily.InterNetworkV6;
        }

        // IPAddress.TryParse also takes "1", "0x7f.1" and "1.2.3"; only the canonical dotted quad is an endpoint.
        return IPAddress.TryParse(host, out address!) && address.AddressFamily == AddressFamily.InterNetwork
            && address.ToString() == host;
    }

    private static string? Unusable(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] == 0 ? "unspecified (0.0.0.0/8)"
                : b[0] is >= 224 and <= 239 ? "multicast"
                : address.Equals(IPAddress.Broadcast) ? "the broadcast address"
                : null;
        }

        return address.Equals(IPAddress.IPv6Any) ? "unspecified (::)"
            : address.IsIPv6Multicast ? "multicast"
            : null;
    }
}
