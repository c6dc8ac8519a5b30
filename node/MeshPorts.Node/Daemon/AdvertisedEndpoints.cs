using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MeshPorts.Node.Daemon;

/// <summary>
/// Turns <c>--endpoint HOST:PORT</c> into what the coordinator accepts: IP literals only, because peers are
/// handed addresses, never names a node could point anywhere. Names are resolved here, once, at <c>up</c>.
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

            var colon = text.LastIndexOf(':');
            var host = text[..colon];
            var port = int.Parse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture);
            IPAddress[] addresses;
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                throw new ArgumentException($"--endpoint '{text}': '{host}' does not resolve ({ex.SocketErrorCode}); give an IP address, e.g. --endpoint 192.0.2.10:{port}", ex);
            }

            result.AddRange(addresses.Where(a => a.AddressFamily == AddressFamily.InterNetwork || (a.AddressFamily == AddressFamily.InterNetworkV6 && a.ScopeId == 0))
                .Select(a => new IPEndPoint(a, port).ToString()));
        }

        return result.Distinct(StringComparer.Ordinal).ToList();
    }
}
