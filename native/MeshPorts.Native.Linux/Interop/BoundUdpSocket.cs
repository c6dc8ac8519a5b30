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

    private BoundUdpSocket(FileDescriptorHandle fd, FileDescriptorHandle wake, ushort port)
    {
        Fd = fd;
        Wake = wake;
        Port = port;
    }

    public FileDescriptorHandle Fd { get; }

    public FileDescriptorHandle Wake { get; }

    public ushort Port { get; }

    public static BoundUdpSocket Open(ushort port, uint fwmark)
    {
        var fd = FileDescriptorHandle.FromResult(
            LibC.Socket(SocketConstants.AF_INET6, SocketConstants.SOCK_DGRAM | SocketConstants.SOCK_NONBLOCK | SocketConstants.SOCK_CLOEXEC, 0),
            "socket(AF_INET6, SOCK_DGRAM)");
        FileDescriptorHandle? wake = null;
        try
        {
            // Dual stack: IPv4 peers arrive as ::ffff:a.b.c.d on the same socket.
            SetInt(fd, SocketConstants.IPPROTO_IPV6, SocketConstants.IPV6_V6ONLY, 0, "setsockopt(IPV6_V6ONLY, 0)");
            SetBuffer(fd, SocketConstants.SO_RCVBUFFORCE, SocketConstants.SO_RCVBUF);
            SetBuffer(fd, SocketConstants.SO_SNDBUFFORCE, SocketConstants.SO_SNDBUF);
            if (fwmark != 0)
            {
                SetMark(fd, fwmark);
            }

            var address = default(SockAddrIn6);
            address.Family = SocketConstants.AF_INET6;
            address.PortNetworkOrder = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(port);
            if (LibC.Bind(fd.Fd, &address, (uint)sizeof(SockAddrIn6)) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new NativeException(errno, $"bind([::]:{port})", errno == Errno.EADDRINUSE ? $"Another socket already uses UDP port {port}; choose another listen port." : null);
            }

            var bound = default(SockAddrIn6);
            var length = (uint)sizeof(SockAddrIn6);
            if (LibC.GetSockName(fd.Fd, &bound, &length) < 0)
            {
                throw NativeException.FromLastError("getsockname");
            }

            wake = FdWait.CreateWakeEvent();
            return new BoundUdpSocket(fd, wake, System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(bound.PortNetworkOrder));
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
