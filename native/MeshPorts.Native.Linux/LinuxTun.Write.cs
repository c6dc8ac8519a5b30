using System.Runtime.InteropServices;
using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux;

/// <summary>
/// The write side: never blocks, and a packet the kernel refuses is dropped and counted, as a NIC would,
/// so one bad packet cannot stop the device loop.
/// </summary>
public sealed unsafe partial class LinuxTun
{
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
}
