using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MeshPorts.Node.Expose;

/// <summary>
/// Makes sockets that only the overlay can reach. SO_BINDTODEVICE makes the kernel match only packets
/// that arrived on the TUN, so the same address tried from the host or the underlay (which the kernel
/// delivers via <c>lo</c> or a physical NIC) finds no socket and is refused, whatever the firewall says.
/// FREEBIND lets the node listen before (or while) the overlay address is configured.
/// </summary>
internal static class OverlaySocket
{
    // asm-generic/socket.h
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;

    // linux/in.h
    private const int IpProtoIp = 0;
    private const int IpFreeBind = 15;

    // linux/in6.h
    private const int IpProtoIpv6 = 41;
    private const int Ipv6FreeBind = 78;

    /// <summary>Creates a socket bound to <paramref name="address"/>:<paramref name="port"/> on <paramref name="interfaceName"/> only.</summary>
    /// <exception cref="SocketException">The kernel refused (EADDRINUSE if something already listens there or on the wildcard).</exception>
    public static Socket Bind(string interfaceName, IPAddress address, ushort port, SocketType type)
    {
        var protocol = type == SocketType.Stream ? ProtocolType.Tcp : ProtocolType.Udp;
        var socket = new Socket(address.AddressFamily, type, protocol);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
                socket.SetRawSocketOption(IpProtoIpv6, Ipv6FreeBind, BitConverter.GetBytes(1));
            }
            else
            {
                socket.SetRawSocketOption(IpProtoIp, IpFreeBind, BitConverter.GetBytes(1));
            }

            // The kernel copies up to IFNAMSIZ bytes and needs the terminating NUL.
            var name = new byte[Encoding.ASCII.GetByteCount(interfaceName) + 1];
            Encoding.ASCII.GetBytes(interfaceName, name);
            socket.SetRawSocketOption(SolSocket, SoBindToDevice, name);
            socket.Bind(new IPEndPoint(address, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// True when <paramref name="remote"/> is this host itself. SO_BINDTODEVICE does not keep those
    /// out: for traffic to a local address the kernel records the device of the local route (the TUN)
    /// as the incoming interface (route.c, "make sure orig_oif points to fib result device"), so a
    /// host process connecting to the overlay address matches the device-bound socket. Such traffic
    /// never passed the node's packet filter; its source is then the overlay address itself (the
    /// local route's preferred source) or loopback. A peer can never use these sources: the kernel
    /// drops packets from a local source arriving on another interface as martians.
    /// </summary>
    public static bool IsFromThisHost(IPAddress remote, IReadOnlyList<IPAddress> overlayAddresses)
    {
        if (IPAddress.IsLoopback(remote))
        {
            return true;
        }

        foreach (var address in overlayAddresses)
        {
            if (address.Equals(remote))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Closes with SO_LINGER 0 so the peer gets an RST at once instead of a FIN: it must see the flow end, not a clean close.</summary>
    public static void Abort(Socket? socket)
    {
        if (socket is null)
        {
            return;
        }

        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // Already closed by the kernel (reset): closing is all that is left.
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        socket.Close(0);
    }
}
