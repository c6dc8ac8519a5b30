using System.Runtime.InteropServices;

namespace MeshPorts.Native.Linux.Interop;

/// <summary>
/// One incarnation of a UdpBatchSocket's fd: the socket, its port, and the eventfd that is fired
/// when the incarnation is retired (rebind or dispose), so blocked receivers move on.
/// </summary>
internal sealed unsafe class BoundUdpSocket : IDisposable
{
    // wireguard-go asks for 7 MiB; a burst of handshake-initiations or a fast peer must not overflow
    // the default ~200 KiB buffer before the receive loop catches up.
    internal const int SocketBufferBytes = 7 << 20;

    private BoundUdpSocket(FileDescriptorHandle fd, FileDescriptorHandle wake, ushort port, bool isIPv6, bool gro)
    {
        Fd = fd;
        Wake = wake;
        Port = port;
        IsIPv6 = isIPv6;
        Gro = gro;
    }

    /// <summary>UDP_GRO is on: a receive may hold several datagrams of one sender, cut at the cmsg's size.</summary>
    public bool Gro { get; }

    public FileDescriptorHandle Fd { get; }

    public FileDescriptorHandle Wake { get; }

    public ushort Port { get; }

    /// <summary>False only on kernels without IPv6 (ipv6.disable=1): then the socket is AF_INET.</summary>
    public bool IsIPv6 { get; }

    /// <summary>
    /// Opens and binds the socket. Dual-stack AF_INET6 unless <paramref name="ipv6"/> is false or the
    /// kernel has no IPv6 (EAFNOSUPPORT), in which case an AF_INET socket serves IPv4 peers alone.
    /// </summary>
    /// <param name="gro">Ask for UDP_GRO (coalesced receives); a kernel that refuses leaves it off, see <see cref="Gro"/>.</param>
    public static BoundUdpSocket Open(ushort port, uint fwmark, bool ipv6 = true, bool gro = false)
    {
        const int Type = SocketConstants.SOCK_DGRAM | SocketConstants.SOCK_NONBLOCK | SocketConstants.SOCK_CLOEXEC;
        var raw = ipv6 ? LibC.Socket(SocketConstants.AF_INET6, Type, 0) : -1;
        if (raw < 0 && (!ipv6 || Marshal.GetLastPInvokeError() == Errno.EAFNOSUPPORT))
        {
            ipv6 = false;
            raw = LibC.Socket(SocketConstants.AF_INET, Type, 0);
        }

        var fd = FileDescriptorHandle.FromResult(raw, ipv6 ? "socket(AF_INET6, SOCK_DGRAM)" : "socket(AF_INET, SOCK_DGRAM)");
        FileDescriptorHandle? wake = null;
        try
        {
            if (ipv6)
            {
                // Dual stack: IPv4 peers arrive as ::ffff:a.b.c.d on the same socket.
                SetInt(fd, SocketConstants.IPPROTO_IPV6, SocketConstants.IPV6_V6ONLY, 0, "setsockopt(IPV6_V6ONLY, 0)");
            }

            SetBuffer(fd, SocketConstants.SO_RCVBUFFORCE, SocketConstants.SO_RCVBUF);
            SetBuffer(fd, SocketConstants.SO_SNDBUFFORCE, SocketConstants.SO_SNDBUF);
            if (fwmark != 0)
            {
                SetMark(fd, fwmark);
            }

            var one = 1;
            var groOn = gro && LibC.SetSockOpt(fd.Fd, SocketConstants.SOL_UDP, SocketConstants.UDP_GRO, &one, sizeof(int)) == 0;

            // Both families are bound through a sockaddr_in6-sized buffer; an AF_INET bind reads the
            // first 16 bytes as a sockaddr_in (family, port, INADDR_ANY).
            var address = default(SockAddrIn6);
            address.Family = (ushort)(ipv6 ? SocketConstants.AF_INET6 : SocketConstants.AF_INET);
            address.PortNetworkOrder = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(port);
            var length = (uint)(ipv6 ? sizeof(SockAddrIn6) : sizeof(SockAddrIn));
            if (LibC.Bind(fd.Fd, &address, length) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new NativeException(errno, ipv6 ? $"bind([::]:{port})" : $"bind(0.0.0.0:{port})", errno == Errno.EADDRINUSE ? $"Another socket already uses UDP port {port}; choose another listen port." : null);
            }

            var bound = default(SockAddrIn6);
            length = (uint)sizeof(SockAddrIn6);
            if (LibC.GetSockName(fd.Fd, &bound, &length) < 0)
            {
                throw NativeException.FromLastError("getsockname");
            }

            wake = FdWait.CreateWakeEvent();
            // sin_port and sin6_port sit at the same offset.
            return new BoundUdpSocket(fd, wake, System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(bound.PortNetworkOrder), ipv6, groOn);
        }
        catch
        {
            wake?.Dispose();
            fd.Dispose();
            throw;
        }
    }

    /// <summary>SO_MARK needs CAP_NET_ADMIN; routing rules match it so tunnel traffic skips the tunnel.</summary>
    public static void SetMark(FileDescriptorHandle fd, uint mark)
    {
        var value = (int)mark;
        if (LibC.SetSockOpt(fd.Fd, SocketConstants.SOL_SOCKET, SocketConstants.SO_MARK, &value, sizeof(int)) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new NativeException(errno, $"setsockopt(SO_MARK, 0x{mark:x})", errno == Errno.EPERM ? "Setting a fwmark needs CAP_NET_ADMIN." : null);
        }
    }

    public static int GetInt(FileDescriptorHandle fd, int level, int name)
    {
        int value = 0;
        var length = (uint)sizeof(int);
        if (LibC.GetSockOpt(fd.Fd, level, name, &value, &length) < 0)
        {
            throw NativeException.FromLastError($"getsockopt({level}, {name})");
        }

        return value;
    }

    /// <summary>Retires this incarnation: wakes its waiters, then closes once the last call returns.</summary>
    public void Dispose()
    {
        FdWait.Signal(Wake);
        Fd.Dispose();
        Wake.Dispose();
    }

    private static void SetBuffer(FileDescriptorHandle fd, int forceOption, int option)
    {
        var value = SocketBufferBytes;
        // The FORCE variants ignore net.core.[rw]mem_max but need CAP_NET_ADMIN; unprivileged we
        // get what the sysctl allows.
        if (LibC.SetSockOpt(fd.Fd, SocketConstants.SOL_SOCKET, forceOption, &value, sizeof(int)) == 0)
        {
            return;
        }

        _ = LibC.SetSockOpt(fd.Fd, SocketConstants.SOL_SOCKET, option, &value, sizeof(int));
    }

    private static void SetInt(FileDescriptorHandle fd, int level, int name, int value, string operation)
    {
        if (LibC.SetSockOpt(fd.Fd, level, name, &value, sizeof(int)) < 0)
        {
            throw NativeException.FromLastError(operation);
        }
    }
}
