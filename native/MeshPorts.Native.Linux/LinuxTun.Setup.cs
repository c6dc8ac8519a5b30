using System.Runtime.InteropServices;
using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux;

/// <summary>
/// Bringing the device into being: open /dev/net/tun, TUNSETIFF for the name and flags, then the
/// interface ioctls (MTU, IFF_UP) that need an AF_INET control socket rather than the TUN fd.
/// </summary>
public sealed unsafe partial class LinuxTun
{
    private const string DevicePath = "/dev/net/tun";

    /// <summary>Creates the TUN device <paramref name="name"/>, sets its MTU and (by default) brings it up.</summary>
    /// <exception cref="ArgumentException">The name breaks the kernel's naming rules or the MTU is out of range.</exception>
    /// <exception cref="NativeException">The kernel refused; <see cref="NativeException.Errno"/> says why.</exception>
    public static LinuxTun Create(string name, int mtu = 1420, LinuxTunOptions? options = null)
    {
        InterfaceName.Validate(name, nameof(name));
        // 68 is the IPv4 minimum (RFC 791); 1280 would be the IPv6 one, but the kernel only
        // disables IPv6 below it, so the caller may choose.
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mtu, 65535);
        options ??= LinuxTunOptions.Default;

        var fd = OpenDevice();
        FileDescriptorHandle? wake = null;
        try
        {
            var request = default(IfReq);
            InterfaceName.Write(name, ref request);
            request.Flags = TunConstants.IFF_TUN | TunConstants.IFF_NO_PI;
            if (options.Offloads)
            {
                request.Flags |= TunConstants.IFF_VNET_HDR;
            }
            if (LibC.Ioctl(fd.Fd, TunConstants.TUNSETIFF, &request) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new NativeException(errno, $"ioctl(TUNSETIFF) for '{name}'", errno switch
                {
                    Errno.EPERM or Errno.EACCES => "Creating a TUN device needs CAP_NET_ADMIN (run as root).",
                    Errno.EBUSY or Errno.EEXIST => "An interface with that name exists and is not a free TUN device.",
                    Errno.EINVAL => "The kernel rejected the name or flags.",
                    _ => null,
                });
            }

            var actualName = InterfaceName.Read(request);
            var offloads = options.Offloads ? SetOffloads(fd, actualName) : TunOffloads.None;
            using (var control = OpenControlSocket())
            {
                SetMtu(control, actualName, mtu);
                if (options.BringUp)
                {
                    SetUp(control, actualName);
                }
            }

            wake = FdWait.CreateWakeEvent();
            return new LinuxTun(fd, wake, actualName, mtu, offloads);
        }
        catch
        {
            wake?.Dispose();
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Changes the device MTU (SIOCSIFMTU).</summary>
    public void SetMtu(int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mtu, 65535);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        using var control = OpenControlSocket();
        SetMtu(control, Name, mtu);
        Mtu = mtu;
    }

    private static FileDescriptorHandle OpenDevice()
    {
        var path = "/dev/net/tun\0"u8;
        fixed (byte* p = path)
        {
            var fd = LibC.Open(p, SocketConstants.O_RDWR | SocketConstants.O_NONBLOCK | SocketConstants.O_CLOEXEC);
            if (fd < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new NativeException(errno, $"open({DevicePath})", errno switch
                {
                    Errno.ENOENT or Errno.ENODEV => "Load the tun module (modprobe tun) or create /dev/net/tun (mknod /dev/net/tun c 10 200).",
                    Errno.EPERM or Errno.EACCES => "Opening /dev/net/tun needs root or CAP_NET_ADMIN.",
                    _ => null,
                });
            }

            return FileDescriptorHandle.FromResult(fd, $"open({DevicePath})");
        }
    }

    private static FileDescriptorHandle OpenControlSocket() =>
        FileDescriptorHandle.FromResult(
            LibC.Socket(SocketConstants.AF_INET, SocketConstants.SOCK_DGRAM | SocketConstants.SOCK_CLOEXEC, 0),
            "socket(AF_INET) for interface ioctls");

    private static void SetMtu(FileDescriptorHandle control, string name, int mtu)
    {
        var request = default(IfReq);
        InterfaceName.Write(name, ref request);
        request.Mtu = mtu;
        if (LibC.Ioctl(control.Fd, SockiosConstants.SIOCSIFMTU, &request) < 0)
        {
            throw NativeException.FromLastError($"ioctl(SIOCSIFMTU, {mtu}) on '{name}'");
        }
    }

    private static void SetUp(FileDescriptorHandle control, string name)
    {
        var request = default(IfReq);
        InterfaceName.Write(name, ref request);
        if (LibC.Ioctl(control.Fd, SockiosConstants.SIOCGIFFLAGS, &request) < 0)
        {
            throw NativeException.FromLastError($"ioctl(SIOCGIFFLAGS) on '{name}'");
        }

        request.Flags |= IfConstants.IFF_UP;
        if (LibC.Ioctl(control.Fd, SockiosConstants.SIOCSIFFLAGS, &request) < 0)
        {
            throw NativeException.FromLastError($"ioctl(SIOCSIFFLAGS, IFF_UP) on '{name}'");
        }
    }
}
