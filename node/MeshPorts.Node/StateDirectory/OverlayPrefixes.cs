using System.Net;
using System.Net.Sockets;

namespace MeshPorts.Node.StateDirectory;

/// <summary>Best guesses of the coordinator's overlay prefixes, for a record recovered without the Enroll answer.</summary>
internal static class OverlayPrefixes
{
    /// <summary>PRODUCT.md: the coordinator's IPv4 overlay defaults to the CGNAT range.</summary>
    private static readonly IPNetwork DefaultIpv4 = IPNetwork.Parse("100.64.0.0/10");

    /// <summary>docs/coordinator.md: node IPv6 addresses are the coordinator's ULA /48 + n.</summary>
    private const int UlaPrefixLength = 48;

    public static string? DefaultIpv4For(string? address)
    {
        if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
        {
            return null;
        }

        return DefaultIpv4.Contains(ip) ? DefaultIpv4.ToString() : new IPNetwork(ip, 32).ToString();
    }

    public static string? Ipv6For(string? address)
    {
        if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        var bytes = ip.GetAddressBytes();
        Array.Clear(bytes, UlaPrefixLength / 8, bytes.Length - (UlaPrefixLength / 8));
        return new IPNetwork(new IPAddress(bytes), UlaPrefixLength).ToString();
    }
}
