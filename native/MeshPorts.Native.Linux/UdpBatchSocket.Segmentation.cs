using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux;

/// <summary>
/// UDP GSO: how a send batch is grouped into UDP_SEGMENT messages, the cmsg that carries the segment
/// size, and which errors mean the kernel cannot segment on this route.
/// </summary>
public sealed unsafe partial class UdpBatchSocket
{
    /// <summary>Most datagrams one UDP_SEGMENT send carries (the kernel's UDP_MAX_SEGMENTS was 64 before 6.x).</summary>
    public const int MaxSegments = 64;

    /// <summary>Most payload bytes one UDP_SEGMENT send carries, below the 65,507 an IPv4 datagram can hold.</summary>
    public const int MaxSegmentedBytes = 65000;

    // Lays out _send.Messages from message index firstMessage on, for datagrams firstDatagram.. of
    // the chunk whose iovecs are already filled: one message per datagram, or with gso one per run
    // of equal-length datagrams to one destination. Returns the total message count.
    private int BuildMessages(ReadOnlySpan<int> lengths, ReadOnlySpan<UdpAddress> destinations, int firstDatagram, int firstMessage, bool gso)
    {
        var m = firstMessage;
        var i = firstDatagram;
        while (i < lengths.Length)
        {
            var size = lengths[i];
            var run = 1;
            // An empty datagram is never a segment: the kernel would send nothing for it.
            if (gso && size > 0)
            {
                var total = size;
                while (i + run < lengths.Length && run < MaxSegments && total + lengths[i + run] <= MaxSegmentedBytes
                    && lengths[i + run] > 0 && lengths[i + run] <= size && lengths[i + run - 1] == size && destinations[i + run] == destinations[i])
                {
                    total += lengths[i + run];
                    run++;
                }
            }

            ref var header = ref _send.Messages[m].Header;
            header.Iov = &_send.Iovecs[i];
            header.IovLength = (nuint)run;
            header.NameLength = WriteName(in destinations[i], &_send.Names[m]);
            if (run > 1)
            {
                var control = _send.Controls + ((nint)m * BatchHeaders.ControlSize);
                WriteSegmentControl(control, (ushort)size);
                header.Control = control;
                header.ControlLength = BatchHeaders.ControlSize;
            }
            else
            {
                header.Control = null;
                header.ControlLength = 0;
            }

            _groupSizes[m] = run;
            _groupFirst[m] = i;
            m++;
            i += run;
        }

        return m;
    }

    private static bool IsGsoRefusal(int errno) =>
        errno is Errno.EIO or Errno.EINVAL or Errno.EOPNOTSUPP or Errno.ENOTSUPP;

    // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the data, 8-aligned.
    private static void WriteSegmentControl(byte* control, ushort segmentSize)
    {
        new Span<byte>(control, BatchHeaders.ControlSize).Clear();
        *(nuint*)control = (nuint)(16 + sizeof(ushort));
        *(int*)(control + 8) = SocketConstants.SOL_UDP;
        *(int*)(control + 12) = SocketConstants.UDP_SEGMENT;
        *(ushort*)(control + 16) = segmentSize;
    }
}
