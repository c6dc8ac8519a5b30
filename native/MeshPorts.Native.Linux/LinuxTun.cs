using System.Runtime.InteropServices;
using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux;

/// <summary>
/// A Linux TUN device opened as IFF_TUN|IFF_NO_PI: every read returns one IPv4 or IPv6 packet and
/// every write injects one. With <see cref="LinuxTunOptions.Offloads"/> it is opened with
/// IFF_VNET_HDR too, and each packet read or written starts with a <see cref="VirtioNetHeader"/>.
/// The device is not persistent, so it disappears when this object is disposed. Reads block but
/// return 0 once the device is disposed, which is how reader threads end.
/// </summary>
/// <remarks>
/// Read/ReadBatch may be called from one reader thread and Write/WriteBatch from any threads at once;
/// Dispose may be called from any thread and wakes the blocked reader.
/// </remarks>
public sealed unsafe class LinuxTun : IDisposable
{
    private const string DevicePath = "/dev/net/tun";

    private readonly FileDescriptorHandle _fd;
    private readonly FileDescriptorHandle _wake;
    private int _disposed;
    private long _droppedWrites;

    private LinuxTun(FileDescriptorHandle fd, FileDescriptorHandle wake, string name, int mtu, TunOffloads offloads)
    {
        _fd = fd;
        _wake = wake;
        Name = name;
        Mtu = mtu;
        Offloads = offloads;
    }

    /// <summary>
    /// What the kernel granted: <see cref="TunOffloads.None"/> for a plain device, otherwise
    /// <see cref="TunOffloads.VnetHeader"/> plus the offload bits TUNSETOFFLOAD accepted.
    /// </summary>
    public TunOffloads Offloads { get; }

    /// <summary>True when every packet read or written starts with a <see cref="VirtioNetHeader"/>.</summary>
    public bool HasVnetHeader => (Offloads & TunOffloads.VnetHeader) != 0;

    /// <summary>The name the kernel gave the device (a "%d" pattern in the request is resolved).</summary>
    public string Name { get; }

    public int Mtu { get; private set; }

    /// <summary>Packets written that the kernel refused (queue full, link down, malformed) and were dropped.</summary>
    public long DroppedWrites => Interlocked.Read(ref _droppedWrites);

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

    /// <summary>
    /// Blocks until a packet arrives and copies it into <paramref name="packet"/>; returns its length,
    /// or 0 once the device is disposed. A packet longer than the span is truncated by the kernel.
    /// </summary>
    public int Read(Span<byte> packet)
    {
        if (!TryEnter(out var fd, out var wake))
        {
            return 0;
        }

        try
        {
            fixed (byte* p = packet)
            {
                return ReadBlocking(fd, wake, p, packet.Length);
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Takes one packet if one is queued, without blocking: returns its length, 0 when none is
    /// waiting, or 0 once the device is disposed.
    /// </summary>
    public int TryRead(Span<byte> packet)
    {
        if (!TryEnter(out var fd, out _))
        {
            return 0;
        }

        try
        {
            fixed (byte* p = packet)
            {
                return ReadQueued(fd, p, packet.Length);
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Injects <paramref name="header"/> followed by <paramref name="packet"/> as one packet (one
    /// writev): how a device with <see cref="HasVnetHeader"/> prefixes its virtio_net_hdr without
    /// copying the packet. Drops and counts like <see cref="Write(ReadOnlySpan{byte})"/>.
    /// </summary>
    public bool Write(ReadOnlySpan<byte> header, ReadOnlySpan<byte> packet)
    {
        if (!TryEnter(out var fd, out _))
        {
            return false;
        }

        try
        {
            fixed (byte* h = header)
            fixed (byte* p = packet)
            {
                var vectors = stackalloc IoVec[2];
                vectors[0].Base = h;
                vectors[0].Length = (nuint)header.Length;
                vectors[1].Base = p;
                vectors[1].Length = (nuint)packet.Length;
                while (true)
                {
                    if (LibC.Writev(fd, vectors, 2) >= 0)
                    {
                        return true;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    return DropOrThrow(errno);
                }
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Blocks for the first packet, then takes whatever else is already queued without blocking, up
    /// to <c>lengths.Length</c> packets in all. Packet i is at <c>buffer[(i * slotSize)..]</c> with
    /// length <c>lengths[i]</c>. Returns the number of packets, or 0 once the device is disposed.
    /// </summary>
    public int ReadBatch(Span<byte> buffer, int slotSize, Span<int> lengths)
    {
        var slots = SlotCount(buffer.Length, slotSize, lengths.Length);
        if (!TryEnter(out var fd, out var wake))
        {
            return 0;
        }

        try
        {
            fixed (byte* p = buffer)
            {
                var first = ReadBlocking(fd, wake, p, slotSize);
                if (first == 0)
                {
                    return 0;
                }

                lengths[0] = first;
                var count = 1;
                while (count < slots)
                {
                    var n = ReadQueued(fd, p + ((nint)count * slotSize), slotSize);
                    if (n == 0)
                    {
                        break;
                    }

                    lengths[count++] = n;
                }

                return count;
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Injects one IP packet. Never blocks: if the kernel refuses the packet (queue full, link down,
    /// not an IP packet) it is dropped, counted in <see cref="DroppedWrites"/>, and false is returned.
    /// Returns false without counting after Dispose.
    /// </summary>
    public bool Write(ReadOnlySpan<byte> packet)
    {
        if (!TryEnter(out var fd, out _))
        {
            return false;
        }

        try
        {
            fixed (byte* p = packet)
            {
                return WriteOne(fd, p, packet.Length);
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Writes <c>lengths.Length</c> packets, packet i taken from <c>buffer[(i * slotSize)..]</c>.
    /// Returns how many the kernel accepted; refused ones are dropped and counted as in <see cref="Write"/>.
    /// </summary>
    public int WriteBatch(ReadOnlySpan<byte> buffer, int slotSize, ReadOnlySpan<int> lengths)
    {
        var slots = SlotCount(buffer.Length, slotSize, lengths.Length);
        if (!TryEnter(out var fd, out _))
        {
            return 0;
        }

        try
        {
            fixed (byte* p = buffer)
            {
                var written = 0;
                for (var i = 0; i < slots; i++)
                {
                    var length = lengths[i];
                    if ((uint)length > (uint)slotSize)
                    {
                        throw new ArgumentOutOfRangeException(nameof(lengths), $"Packet {i} is {length} bytes, larger than its {slotSize}-byte slot.");
                    }

                    if (WriteOne(fd, p + ((nint)i * slotSize), length))
                    {
                        written++;
                    }
                }

                return written;
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Wakes a blocked reader and closes the device; the interface disappears with the last fd.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        FdWait.Signal(_wake);
        // SafeHandle reference counting defers the real close() until an in-flight Read returns.
        _fd.Dispose();
        _wake.Dispose();
    }

    internal static int SlotCount(int bufferLength, int slotSize, int lengthsLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slotSize);
        ArgumentOutOfRangeException.ThrowIfZero(lengthsLength);
        var slots = Math.Min(lengthsLength, bufferLength / slotSize);
        if (slots == 0)
        {
            throw new ArgumentException($"The buffer ({bufferLength} bytes) does not hold one {slotSize}-byte slot.");
        }

        return slots;
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

    private int ReadBlocking(int fd, int wake, byte* destination, int length)
    {
        while (true)
        {
            var n = ReadQueued(fd, destination, length);
            if (n > 0)
            {
                return n;
            }

            if (FdWait.Wait(fd, SocketConstants.POLLIN, wake) == Readiness.WokenUp)
            {
                return 0;
            }
        }
    }

    // One non-blocking read: the packet's length, or 0 when none is queued. Retries EINTR; any other
    // error ends the device (EBADFD: the interface was deleted).
    private int ReadQueued(int fd, byte* destination, int length)
    {
        while (true)
        {
            var n = LibC.Read(fd, destination, (nuint)length);
            if (n >= 0)
            {
                return (int)n;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EAGAIN)
            {
                return 0;
            }

            if (errno != Errno.EINTR)
            {
                throw new NativeException(errno, $"read from TUN '{Name}'", errno == Errno.EBADFD ? "The interface was deleted from outside (ip link del)." : null);
            }
        }
    }

    private bool WriteOne(int fd, byte* packet, int length)
    {
        while (true)
        {
            var n = LibC.Write(fd, packet, (nuint)length);
            if (n >= 0)
            {
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                return DropOrThrow(errno);
            }
        }
    }

    private bool DropOrThrow(int errno)
    {
        switch (errno)
        {
            // Queue full, link down, or a packet the kernel cannot parse: dropping one packet is
            // what a NIC would do and must not stop the device loop.
            case Errno.EAGAIN or Errno.ENOBUFS or Errno.EIO or Errno.EINVAL or Errno.ENOMEM or Errno.EMSGSIZE:
                Interlocked.Increment(ref _droppedWrites);
                return false;
            default:
                throw new NativeException(errno, $"write to TUN '{Name}'");
        }
    }

    // Asks for checksum and TSO offloads and, where the kernel has them (6.2+), USO too. A kernel
    // that refuses USO gets asked again without it; one that refuses TSO too keeps the vnet header
    // with no offloads, which still works (every packet then arrives whole and checksummed).
    private static TunOffloads SetOffloads(FileDescriptorHandle fd, string name)
    {
        const uint Tso = TunConstants.TUN_F_CSUM | TunConstants.TUN_F_TSO4 | TunConstants.TUN_F_TSO6;
        const uint TsoAndUso = Tso | TunConstants.TUN_F_USO4 | TunConstants.TUN_F_USO6;
        foreach (var flags in (ReadOnlySpan<uint>)[TsoAndUso, Tso, 0u])
        {
            if (LibC.Ioctl(fd.Fd, TunConstants.TUNSETOFFLOAD, (void*)(nuint)flags) == 0)
            {
                return TunOffloads.VnetHeader | (TunOffloads)flags;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINVAL)
            {
                throw new NativeException(errno, $"ioctl(TUNSETOFFLOAD) on '{name}'");
            }
        }

        return TunOffloads.VnetHeader;
    }

    /// <summary>Holds both fds open for the duration of a call; false once disposed.</summary>
    private bool TryEnter(out int fd, out int wake)
    {
        fd = -1;
        wake = -1;
        if (Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }

        var fdAdded = false;
        var wakeAdded = false;
        try
        {
            _fd.DangerousAddRef(ref fdAdded);
            _wake.DangerousAddRef(ref wakeAdded);
        }
        catch (ObjectDisposedException)
        {
            if (fdAdded)
            {
                _fd.DangerousRelease();
            }

            if (wakeAdded)
            {
                _wake.DangerousRelease();
            }

            return false;
        }

        fd = _fd.Fd;
        wake = _wake.Fd;
        return true;
    }

    private void Leave()
    {
        _wake.DangerousRelease();
        _fd.DangerousRelease();
    }
}
