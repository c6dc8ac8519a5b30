using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace MeshPorts.Node.Daemon;

/// <summary>The underlay addresses peers can try when no --endpoint is given: every global address of every up interface but ours.</summary>
internal static class HostEndpoints
{
    public static IReadOnlyList<string> Discover(ushort port, string overlayInterface)
    {
        var found = new List<string>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown) ||
                nic.NetworkInterfaceType == NetworkInterfaceType.Loopback || nic.Name == overlayInterface)
            {
                continue;
            }

            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                var address = unicast.Address;
                if (IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal || address.IsIPv6Multicast ||
                    (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0) ||
                    (address.AddressFamily == AddressFamily.InterNetwork && IsCarrierGradeNat(address)))
                {
                    continue;
                }

                found.Add(new IPEndPoint(address, port).ToString());
            }
        }

        // The coordinator takes at most 16; a host with many bridges must still enroll.
        return found.Take(AdvertisedEndpoints.MaxCount).ToList();
    }

    // 100.64.0.0/10 is the overlay's own range; advertising it as an underlay endpoint would loop.
    private static bool IsCarrierGradeNat(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return bytes[0] == 100 && (bytes[1] & 0xC0) == 64;
    }
}
