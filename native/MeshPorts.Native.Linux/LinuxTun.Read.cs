using System.Runtime.InteropServices;
using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux;

/// <summary>
/// The read side: block for the first packet (poll on the fd and the wake eventfd), then drain what is
/// already queued without blocking, so one wake-up moves a batch.
/// </summary>
public sealed unsafe partial class LinuxTun
{
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

}
