using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace MeshPorts.Node.Daemon;

/// <summary>
/// The underlay addresses peers can try when no --endpoint is given: every global address of every up
/// interface that is not a mesh interface. A mesh address is never an endpoint: peers would send the
/// tunnel's packets into a tunnel, and another mesh on this host would leak its addresses into this one.
/// </summary>
internal static class HostEndpoints
{
    public static IReadOnlyList<string> Discover(ushort port, string overlayInterface) =>
        Select(
            NetworkInterface.GetAllNetworkInterfaces()
                .Where(nic => nic.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown
                    && nic.NetworkInterfaceType != NetworkInterfaceType.Loopback)
                .Select(nic => new HostInterface(nic.Name, [.. nic.GetIPProperties().UnicastAddresses.Select(u => u.Address)])),
            port,
            overlayInterface);

    /// <summary>The choice itself, over interfaces already listed, so it can be tested without the host's.</summary>
    public static IReadOnlyList<string> Select(IEnumerable<HostInterface> interfaces, ushort port, string overlayInterface)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        var found = new List<string>();
        foreach (var nic in interfaces)
        {
            // Ours, or any interface holding an overlay (100.64.0.0/10) address: a MeshPorts or other mesh
            // interface, whose IPv6 ULA would otherwise pass every check below.
            if (nic.Name == overlayInterface || nic.Addresses.Any(a => a.AddressFamily == AddressFamily.InterNetwork && IsCarrierGradeNat(a)))
            {
                continue;
            }

            foreach (var address in nic.Addresses)
            {
                if (IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal || address.IsIPv6Multicast ||
                    (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0))
                {
                    continue;
                }

                found.Add(new IPEndPoint(address, port).ToString());
            }
        }

        // The coordinator takes at most 16; a host with many bridges must still enroll.
        return found.Take(AdvertisedEndpoints.MaxCount).ToList();
    }

    // 100.64.0.0/10 is the overlay's own range.
    private static bool IsCarrierGradeNat(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return bytes[0] == 100 && (bytes[1] & 0xC0) == 64;
    }
}
