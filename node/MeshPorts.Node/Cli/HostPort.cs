using System.Globalization;
using System.Net;

namespace MeshPorts.Node.Cli;

/// <summary>HOST:PORT as written on command lines: an IPv4 address, [IPv6] or a DNS name, and a port 1-65535.</summary>
internal static class HostPort
{
    public static bool IsValid(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (IPEndPoint.TryParse(text, out var endpoint))
        {
            // IPEndPoint accepts a bare address with port 0; a port is required here.
            return endpoint.Port != 0 && (endpoint.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || text.StartsWith('['));
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
        {
            return false;
        }

        return Uri.CheckHostName(text[..colon]) == UriHostNameType.Dns;
    }
}
