using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MeshPorts.Node.Daemon;

/// <summary>
/// Turns <c>--endpoint HOST:PORT</c> into what the coordinator accepts: IP literals only, because peers are
/// handed addresses, never names a node could point anywhere. Names are resolved here, once, at <c>up</c>.
/// The same rules hold for every candidate a node reports (Discovery/), and for STUN server names.
/// </summary>
internal static class AdvertisedEndpoints
{
    /// <summary>The coordinator refuses more than this many (node.proto, EnrollRequest.endpoints).</summary>
    public const int MaxCount = 16;

    /// <summary>Resolves host names; throws <see cref="ArgumentException"/> naming the fix when one does not resolve.</summary>
    public static async Task<IReadOnlyList<string>> ResolveAsync(IReadOnlyList<string> endpoints, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var result = new List<string>();
        foreach (var text in endpoints)
        {
            if (IPEndPoint.TryParse(text, out var literal) && literal.Port != 0)
            {
                result.Add(literal.ToString());
                continue;
            }

            var (host, port) = SplitHostPort(text);
            try
            {
                var addresses = await ResolveHostAsync(host, port, Dns.GetHostAddressesAsync, cancellationToken).ConfigureAwait(false);
                result.AddRange(addresses.Select(a => a.ToString()));
            }
            catch (SocketException ex)
            {
                throw new ArgumentException($"--endpoint '{text}': '{host}' does not resolve ({ex.SocketErrorCode}); give an IP address, e.g. --endpoint 192.0.2.10:{port}", ex);
            }
        }

        return result.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>HOST and PORT of a <c>HOST:PORT</c> already checked by <c>Cli.HostPort</c>; brackets come off an IPv6 host.</summary>
    public static (string Host, ushort Port) SplitHostPort(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return (host, ushort.Parse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The usable addresses a name (or an IP literal) stands for, with the port: IPv4, and IPv6 without a
    /// scope (a scoped address means nothing on another host). Throws <see cref="SocketException"/> when the name does not resolve.
    /// </summary>
    public static async Task<IReadOnlyList<IPEndPoint>> ResolveHostAsync(
        string host,
        ushort port,
        Func<string, CancellationToken, Task<IPAddress[]>> resolve,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await resolve(host, cancellationToken).ConfigureAwait(false);
        return addresses.Where(a => a.AddressFamily == AddressFamily.InterNetwork || (a.AddressFamily == AddressFamily.InterNetworkV6 && a.ScopeId == 0))
            .Select(a => new IPEndPoint(a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a, port))
            .Distinct()
            .ToList();
    }

    /// <summary>
    /// The text the coordinator takes for an address peers may be handed ("192.0.2.1:51820", "[2001:db8::1]:51820"),
    /// or null for one it would refuse: port 0, unspecified, multicast, broadcast, or an IPv6 scope.
    /// </summary>
    public static string? Canonical(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var address = endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address;
        if (endpoint.Port == 0)
        {
            return null;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var first = address.GetAddressBytes()[0];
            return first == 0 || first is >= 224 and <= 239 || address.Equals(IPAddress.Broadcast) ? null : new IPEndPoint(address, endpoint.Port).ToString();
        }

        return address.AddressFamily != AddressFamily.InterNetworkV6 || address.Equals(IPAddress.IPv6Any) || address.IsIPv6Multicast || address.ScopeId != 0
            ? null
            : new IPEndPoint(address, endpoint.Port).ToString();
    }
}
