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
public sealed unsafe partial class LinuxTun : IDisposable
{
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
