using System.Net;
using MeshPorts.Native.Linux;
using MeshPorts.Node.Routing;

namespace MeshPorts.Node.Daemon;

/// <summary>
/// Gives the TUN its overlay addresses and routes the overlay prefixes into it, through rtnetlink
/// (no `ip` process). Everything here belongs to the interface, so it goes with it: closing the TUN
/// removes the addresses and routes, and nothing is left behind.
/// </summary>
internal static class LinkSetup
{
    public static void Apply(string interfaceName, IPAddress ipv4, IPAddress? ipv6, IReadOnlyList<IpPrefix> overlayPrefixes)
    {
        var index = Rtnetlink.GetInterfaceIndex(interfaceName);
        Rtnetlink.AddAddress(index, ipv4, 32);
        if (ipv6 is not null)
        {
            Rtnetlink.AddAddress(index, ipv6, 128);
        }

        Rtnetlink.SetLinkState(index, up: true);
        foreach (var prefix in overlayPrefixes)
        {
            Rtnetlink.AddRoute(index, prefix.Address, prefix.Length);
        }
    }
}
