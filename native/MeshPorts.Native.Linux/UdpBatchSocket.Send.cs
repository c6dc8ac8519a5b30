using System.Runtime.InteropServices;
using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux;

/// <summary>
/// The send side: sendmmsg of a batch (segmented where <see cref="Gso"/> allows), single sends from any
/// thread, and which kernel refusals drop one datagram rather than stop the device.
/// </summary>
public sealed unsafe partial class UdpBatchSocket
{
    /// <summary>
    /// Sends <c>lengths.Length</c> datagrams with sendmmsg, datagram i from <c>buffer[(i * slotSize)..]</c>
    /// to <c>destinations[i]</c>. With <see cref="Gso"/>, each run of datagrams to one destination whose
    /// lengths are equal (the last may be shorter) goes as one message with UDP_SEGMENT. Waits while the
    /// send buffer is full. Datagrams the kernel refuses (unreachable, filtered) are dropped and counted
    /// in <see cref="SendErrors"/>. Returns how many were sent.
    /// </summary>
    public int SendBatch(ReadOnlySpan<byte> buffer, int slotSize, ReadOnlySpan<int> lengths, ReadOnlySpan<UdpAddress> destinations)
    {
        var slots = LinuxTun.SlotCount(buffer.Length, slotSize, lengths.Length);
        if (destinations.Length < slots)
        {
            throw new ArgumentException($"{slots} datagrams but only {destinations.Length} destinations.", nameof(destinations));
        }

        if (!_send.TryEnter())
        {
            return 0;
        }

        try
        {
            var sent = 0;
            fixed (byte* p = buffer)
            {
                for (var start = 0; start < slots; start += MaxBatch)
                {
                    var count = Math.Min(MaxBatch, slots - start);
                    for (var j = 0; j < count; j++)
                    {
                        var i = start + j;
                        var length = lengths[i];
                        if ((uint)length > (uint)slotSize)
                        {
                            throw new ArgumentOutOfRangeException(nameof(lengths), $"Datagram {i} is {length} bytes, larger than its {slotSize}-byte slot.");
                        }

                        _send.Iovecs[j].Base = p + ((nint)i * slotSize);
                        _send.Iovecs[j].Length = (nuint)length;
                    }

                    var messages = BuildMessages(lengths.Slice(start, count), destinations.Slice(start, count), 0, 0, _gso);
                    var offset = 0;
                    while (offset < messages)
                    {
                        if (!TryAcquire(out var socket))
                        {
                            return sent;
                        }

                        try
                        {
                            var n = LibC.SendMMsg(socket.Fd.Fd, _send.Messages + offset, (uint)(messages - offset), 0);
                            if (n > 0)
                            {
                                for (var m = offset; m < offset + n; m++)
                                {
                                    sent += _groupSizes[m];
                                }

                                offset += n;
                                continue;
                            }

                            var errno = Marshal.GetLastPInvokeError();
                            if (_groupSizes[offset] > 1 && (IsGsoRefusal(errno) || errno == Errno.EMSGSIZE))
                            {
                                // The kernel cannot segment here: turn GSO off and resend the rest one by one.
                                // EMSGSIZE means only that a segment exceeds the route's MTU: sent alone, each
                                // datagram may still be fragmented, so this batch goes unsegmented but GSO stays on.
                                if (errno != Errno.EMSGSIZE)
                                {
                                    _gso = false;
                                }

                                messages = BuildMessages(lengths.Slice(start, count), destinations.Slice(start, count), _groupFirst[offset], offset, gso: false);
                                continue;
                            }

                            if (HandleSendError(errno, socket))
                            {
                                // sendmmsg reports an error only for the first message of the call:
                                // drop that one (all its datagrams) and carry on with the rest.
                                if (_groupSizes[offset] > 1)
                                {
                                    Interlocked.Add(ref _sendErrors, _groupSizes[offset] - 1);
                                }

                                offset++;
                            }
                        }
                        finally
                        {
                            Release(socket);
                        }
                    }
                }
            }

            return sent;
        }
        finally
        {
            _send.Leave();
        }
    }

    /// <summary>
    /// Sends one datagram. Safe from any thread. Returns false if the kernel refused it (counted in
    /// <see cref="SendErrors"/>) or the socket is disposed.
    /// </summary>
    public bool Send(ReadOnlySpan<byte> datagram, in UdpAddress destination)
    {
        SockAddrIn6 name;
        var nameLength = WriteName(in destination, &name);
        fixed (byte* p = datagram)
        {
            while (true)
            {
                if (!TryAcquire(out var socket))
                {
                    return false;
                }

                try
                {
                    var n = LibC.SendTo(socket.Fd.Fd, p, (nuint)datagram.Length, SocketConstants.MSG_DONTWAIT, &name, nameLength);
                    if (n >= 0)
                    {
                        return true;
                    }

                    if (HandleSendError(Marshal.GetLastPInvokeError(), socket))
                    {
                        return false;
                    }
                }
                finally
                {
                    Release(socket);
                }
            }
        }
    }

    /// <summary>True if the datagram should be dropped; false to retry; throws on errors that are not about one datagram.</summary>
    private bool HandleSendError(int errno, BoundUdpSocket socket)
    {
        switch (errno)
        {
            case Errno.EINTR:
                return false;
            case Errno.EAGAIN:
                // The send buffer is full: wait for room (or for retirement, then retry on the new socket).
                _ = FdWait.Wait(socket.Fd.Fd, SocketConstants.POLLOUT, socket.Wake.Fd);
                return false;
            case Errno.ENETUNREACH or Errno.EHOSTUNREACH or Errno.ENETDOWN or Errno.EPERM or Errno.EACCES
                or Errno.EINVAL or Errno.EMSGSIZE or Errno.ENOBUFS or Errno.ENOMEM or Errno.EAFNOSUPPORT
                or Errno.EADDRNOTAVAIL or Errno.ECONNREFUSED:
                Interlocked.Increment(ref _sendErrors);
                return true;
            default:
                throw new NativeException(errno, $"send on UDP port {socket.Port}");
        }
    }
}
