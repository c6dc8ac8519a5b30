using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux;

/// <summary>
/// Interface configuration over a NETLINK_ROUTE socket, so the node can set addresses, routes, MTU
/// and link state without running <c>ip</c>. Every call is one request with NLM_F_ACK; a kernel
/// refusal becomes a <see cref="NativeException"/> carrying the errno (EEXIST, ENODEV, EPERM...).
/// Needs CAP_NET_ADMIN for everything except <see cref="GetInterfaceIndex"/>.
/// </summary>
public static unsafe class Rtnetlink
{
    private static int s_sequence;

    /// <summary>The interface index of <paramref name="name"/>.</summary>
    /// <exception cref="NativeException">No such interface (ENODEV).</exception>
    public static int GetInterfaceIndex(string name)
    {
        InterfaceName.Validate(name, nameof(name));
        Span<byte> bytes = stackalloc byte[IfConstants.IFNAMSIZ];
        bytes.Clear();
        Encoding.UTF8.GetBytes(name, bytes);
        fixed (byte* p = bytes)
        {
            var index = LibC.IfNameToIndex(p);
            if (index == 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new NativeException(errno == 0 ? Errno.ENODEV : errno, $"if_nametoindex('{name}')", "No interface has that name.");
            }

            return (int)index;
        }
    }

    public static void SetLinkUp(string name) => SetLinkState(GetInterfaceIndex(name), up: true);

    public static void SetLinkDown(string name) => SetLinkState(GetInterfaceIndex(name), up: false);

    public static void SetMtu(string name, int mtu) => SetMtu(GetInterfaceIndex(name), mtu);

    /// <summary>Sets or clears IFF_UP (RTM_NEWLINK with ifi_change = IFF_UP).</summary>
    public static void SetLinkState(int interfaceIndex, bool up)
    {
        var message = new NetlinkMessageBuilder(RtnetlinkConstants.RTM_NEWLINK, NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_ACK, NextSequence());
        message.AddHeader(new IfInfoMsg
        {
            Index = interfaceIndex,
            Flags = up ? (uint)IfConstants.IFF_UP : 0,
            Change = (uint)IfConstants.IFF_UP,
        });
        Execute(message, $"RTM_NEWLINK (link {(up ? "up" : "down")}) on ifindex {interfaceIndex}");
    }

    /// <summary>Sets the MTU (RTM_NEWLINK with IFLA_MTU).</summary>
    public static void SetMtu(int interfaceIndex, int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        var message = new NetlinkMessageBuilder(RtnetlinkConstants.RTM_NEWLINK, NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_ACK, NextSequence());
        message.AddHeader(new IfInfoMsg { Index = interfaceIndex });
        message.AddAttribute(RtnetlinkConstants.IFLA_MTU, (uint)mtu);
        Execute(message, $"RTM_NEWLINK (mtu {mtu}) on ifindex {interfaceIndex}");
    }

    /// <summary>
    /// Adds <paramref name="address"/>/<paramref name="prefixLength"/> to the interface, replacing an
    /// identical one (so repeating it is harmless). IPv6 addresses skip duplicate address detection.
    /// The kernel adds the connected route for the prefix itself.
    /// </summary>
    public static void AddAddress(int interfaceIndex, IPAddress address, int prefixLength) =>
        ChangeAddress(RtnetlinkConstants.RTM_NEWADDR, NetlinkConstants.NLM_F_CREATE | NetlinkConstants.NLM_F_REPLACE, interfaceIndex, address, prefixLength);

    /// <summary>Removes the address; EADDRNOTAVAIL if the interface does not have it.</summary>
    public static void DeleteAddress(int interfaceIndex, IPAddress address, int prefixLength) =>
        ChangeAddress(RtnetlinkConstants.RTM_DELADDR, 0, interfaceIndex, address, prefixLength);

    /// <summary>
    /// Routes <paramref name="destination"/>/<paramref name="prefixLength"/> out of the interface in
    /// the main table (a device route, no gateway), replacing an existing route to the same prefix.
    /// Host bits of the destination are cleared.
    /// </summary>
    public static void AddRoute(int interfaceIndex, IPAddress destination, int prefixLength) =>
        ChangeRoute(RtnetlinkConstants.RTM_NEWROUTE, NetlinkConstants.NLM_F_CREATE | NetlinkConstants.NLM_F_REPLACE, interfaceIndex, destination, prefixLength);

    /// <summary>Removes the device route; ESRCH if there is none.</summary>
    public static void DeleteRoute(int interfaceIndex, IPAddress destination, int prefixLength) =>
        ChangeRoute(RtnetlinkConstants.RTM_DELROUTE, 0, interfaceIndex, destination, prefixLength);

    private static void ChangeAddress(ushort type, ushort extraFlags, int interfaceIndex, IPAddress address, int prefixLength)
    {
        var (family, bytes) = Normalize(address, prefixLength);
        var message = new NetlinkMessageBuilder(type, (ushort)(NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_ACK | extraFlags), NextSequence());
        message.AddHeader(new IfAddrMsg
        {
            Family = family,
            PrefixLength = (byte)prefixLength,
            Flags = family == SocketConstants.AF_INET6 ? IfAddrConstants.IFA_F_NODAD : (byte)0,
            Index = (uint)interfaceIndex,
        });
        // On a non point-to-point link IFA_LOCAL and IFA_ADDRESS are the same address, as `ip addr add` sends.
        message.AddAttribute(IfAddrConstants.IFA_LOCAL, bytes);
        message.AddAttribute(IfAddrConstants.IFA_ADDRESS, bytes);
        var verb = type == RtnetlinkConstants.RTM_NEWADDR ? "RTM_NEWADDR" : "RTM_DELADDR";
        Execute(message, $"{verb} {address}/{prefixLength} on ifindex {interfaceIndex}");
    }

    private static void ChangeRoute(ushort type, ushort extraFlags, int interfaceIndex, IPAddress destination, int prefixLength)
    {
        var (family, bytes) = Normalize(destination, prefixLength);
        ClearHostBits(bytes, prefixLength);
        var adding = type == RtnetlinkConstants.RTM_NEWROUTE;
        var message = new NetlinkMessageBuilder(type, (ushort)(NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_ACK | extraFlags), NextSequence());
        message.AddHeader(new RtMsg
        {
            Family = family,
            DestinationLength = (byte)prefixLength,
            Table = RtnetlinkConstants.RT_TABLE_MAIN,
            Protocol = adding ? RtnetlinkConstants.RTPROT_BOOT : (byte)0,
            // A gateway-less route is link scope for IPv4; IPv6 routes are always universe scope.
            // Deletion uses NOWHERE, which the kernel treats as "any scope", as iproute2 does.
            Scope = !adding ? RtnetlinkConstants.RT_SCOPE_NOWHERE
                : family == SocketConstants.AF_INET ? RtnetlinkConstants.RT_SCOPE_LINK : RtnetlinkConstants.RT_SCOPE_UNIVERSE,
            Type = RtnetlinkConstants.RTN_UNICAST,
        });
        message.AddAttribute(RtnetlinkConstants.RTA_DST, bytes);
        message.AddAttribute(RtnetlinkConstants.RTA_OIF, (uint)interfaceIndex);
        var verb = adding ? "RTM_NEWROUTE" : "RTM_DELROUTE";
        Execute(message, $"{verb} {new IPAddress(bytes)}/{prefixLength} dev ifindex {interfaceIndex}");
    }

    private static (byte Family, byte[] Bytes) Normalize(IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var (family, max) = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => ((byte)SocketConstants.AF_INET, 32),
            AddressFamily.InterNetworkV6 => ((byte)SocketConstants.AF_INET6, 128),
            _ => throw new ArgumentException($"{address.AddressFamily} is not IPv4 or IPv6.", nameof(address)),
        };
        if ((uint)prefixLength > (uint)max)
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), $"A prefix length for {address} is 0..{max}, not {prefixLength}.");
        }

        return (family, address.GetAddressBytes());
    }

    private static void ClearHostBits(byte[] bytes, int prefixLength)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            var bitsHere = Math.Clamp(prefixLength - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF00 >> bitsHere);
        }
    }

    private static uint NextSequence() => (uint)Interlocked.Increment(ref s_sequence);

    private static void Execute(NetlinkMessageBuilder request, string operation)
    {
        using var socket = FileDescriptorHandle.FromResult(
            LibC.Socket(NetlinkConstants.AF_NETLINK, SocketConstants.SOCK_RAW | SocketConstants.SOCK_CLOEXEC, NetlinkConstants.NETLINK_ROUTE),
            "socket(AF_NETLINK, NETLINK_ROUTE)");
        // Extended ACKs make the kernel say why ("mtu greater than device maximum"), not just EINVAL.
        // Best effort: kernels before 4.12 do not know the option and still send plain errors.
        var one = 1;
        _ = LibC.SetSockOpt(socket.Fd, NetlinkConstants.SOL_NETLINK, NetlinkConstants.NETLINK_EXT_ACK, &one, sizeof(int));
        var kernel = new SockAddrNl { Family = NetlinkConstants.AF_NETLINK };
        var message = request.Message;
        var sequence = MemoryMarshal.Read<NlMsgHdr>(message).Sequence;
        fixed (byte* p = message)
        {
            if (LibC.SendTo(socket.Fd, p, (nuint)message.Length, 0, &kernel, (uint)sizeof(SockAddrNl)) < 0)
            {
                throw NativeException.FromLastError($"{operation}: sendto");
            }
        }

        // The ACK is an NLMSG_ERROR with error 0; a failure is the same message with -errno.
        Span<byte> reply = stackalloc byte[8192];
        while (true)
        {
            nint received;
            fixed (byte* p = reply)
            {
                received = LibC.Recv(socket.Fd, p, (nuint)reply.Length, 0);
            }

            if (received < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                throw new NativeException(errno, $"{operation}: recv");
            }

            var data = reply[..(int)received];
            while (data.Length >= Unsafe.SizeOf<NlMsgHdr>())
            {
                var header = MemoryMarshal.Read<NlMsgHdr>(data);
                if (header.Length < Unsafe.SizeOf<NlMsgHdr>() || header.Length > data.Length)
                {
                    throw new NativeException(Errno.EIO, $"{operation}: malformed netlink reply");
                }

                if (header.Sequence == sequence && header.Type == NetlinkConstants.NLMSG_ERROR)
                {
                    var error = MemoryMarshal.Read<NlMsgErr>(data[Unsafe.SizeOf<NlMsgHdr>()..]).Error;
                    if (error != 0)
                    {
                        var reason = ExtendedAckMessage(data[..(int)header.Length], header.Flags);
                        var what = reason is null ? operation : $"{operation} (kernel: {reason})";
                        throw new NativeException(-error, what, Hint(-error));
                    }

                    return;
                }

                data = data[Math.Min(NetlinkConstants.Align((int)header.Length), data.Length)..];
            }
        }
    }

    /// <summary>
    /// The NLMSGERR_ATTR_MSG text of an NLMSG_ERROR reply, if the kernel attached one. The attributes
    /// follow the nlmsgerr and the echoed request (just its header when NLM_F_CAPPED is set).
    /// </summary>
    internal static string? ExtendedAckMessage(ReadOnlySpan<byte> reply, ushort flags)
    {
        if ((flags & NetlinkConstants.NLM_F_ACK_TLVS) == 0)
        {
            return null;
        }

        var headerSize = Unsafe.SizeOf<NlMsgHdr>();
        var offset = headerSize + Unsafe.SizeOf<NlMsgErr>();
        if ((flags & NetlinkConstants.NLM_F_CAPPED) == 0)
        {
            var echoed = MemoryMarshal.Read<NlMsgHdr>(reply[(headerSize + sizeof(int))..]);
            offset = headerSize + sizeof(int) + NetlinkConstants.Align((int)echoed.Length);
        }

        while (offset + Unsafe.SizeOf<RtAttr>() <= reply.Length)
        {
            var attribute = MemoryMarshal.Read<RtAttr>(reply[offset..]);
            if (attribute.Length < Unsafe.SizeOf<RtAttr>() || offset + attribute.Length > reply.Length)
            {
                return null;
            }

            if (attribute.Type == NetlinkConstants.NLMSGERR_ATTR_MSG)
            {
                var text = reply.Slice(offset + Unsafe.SizeOf<RtAttr>(), attribute.Length - Unsafe.SizeOf<RtAttr>());
                var end = text.IndexOf((byte)0);
                return Encoding.UTF8.GetString(end < 0 ? text : text[..end]);
            }

            offset += NetlinkConstants.Align(attribute.Length);
        }

        return null;
    }

    private static string? Hint(int errno) => errno switch
    {
        Errno.EPERM or Errno.EACCES => "Changing interfaces needs CAP_NET_ADMIN (run as root).",
        Errno.ENODEV => "The interface no longer exists.",
        Errno.EEXIST => "It is already configured.",
        _ => null,
    };
}
