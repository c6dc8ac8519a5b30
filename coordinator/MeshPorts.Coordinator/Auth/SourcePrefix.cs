using System.Net;
using System.Net.Sockets;

namespace MeshPorts.Coordinator.Auth;

/// <summary>
/// The unit a per-source limit counts: an IPv4 address, or an IPv6 /64. One host is usually handed a
/// whole /64, so keying on the exact IPv6 address would give it 2^64 fresh budgets.
/// </summary>
internal static class SourcePrefix
{
    public const string Unknown = "unknown";

    public static string Of(string? source)
    {
        if (source is null || !IPAddress.TryParse(source, out var ip))
        {
            return Unknown;
        }

        // Kestrel's dual-mode sockets report IPv4 callers as ::ffff:a.b.c.d; that is still one IPv4 host.
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            return ip.ToString();
        }

        var bytes = ip.GetAddressBytes();
        bytes.AsSpan(8).Clear();
        return new IPAddress(bytes) + "/64";
    }
}
