using System.Runtime.InteropServices;
using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux;

/// <summary>
/// The receive side: one recvmmsg fills caller-owned slots, and with UDP_GRO each message's cmsg says
/// at what size the kernel coalesced it.
/// </summary>
public sealed unsafe partial class UdpBatchSocket
{
    /// <summary>
    /// Blocks until at least one datagram arrives, then takes up to <c>lengths.Length</c> (capped at
    /// <see cref="MaxBatch"/>) in one recvmmsg. Datagram i is at <c>buffer[(i * slotSize)..]</c>, is
    /// <c>lengths[i]</c> bytes long and came from <c>sources[i]</c>. Returns the count, or 0 once disposed.
    /// Datagrams longer than <paramref name="slotSize"/> are truncated. On a socket with <see cref="Gro"/>
    /// use the overload that reports segment sizes: this one would see coalesced datagrams as one.
    /// </summary>
    public int ReceiveBatch(Span<byte> buffer, int slotSize, Span<int> lengths, Span<UdpAddress> sources) =>
        ReceiveBatch(buffer, slotSize, lengths, sources, default);

    /// <summary>
    /// As <see cref="ReceiveBatch(Span{byte}, int, Span{int}, Span{UdpAddress})"/>, and with UDP_GRO on
    /// also fills <c>segmentSizes[i]</c>: 0 for a single datagram, otherwise the size every datagram
    /// coalesced into message i has, the last one excepted (it may be shorter). Slots should then be
    /// 65,535 bytes so a coalesced receive is never truncated.
    /// </summary>
    public int ReceiveBatch(Span<byte> buffer, int slotSize, Span<int> lengths, Span<UdpAddress> sources, Span<int> segmentSizes)
    {
        var slots = Math.Min(Math.Min(LinuxTun.SlotCount(buffer.Length, slotSize, lengths.Length), sources.Length), MaxBatch);
        if (slots == 0)
        {
            throw new ArgumentException("sources must have room for at least one address.", nameof(sources));
        }

        var wantSegments = !segmentSizes.IsEmpty;
        if (wantSegments)
        {
            slots = Math.Min(slots, segmentSizes.Length);
        }

        if (!_receive.TryEnter())
        {
            return 0;
        }

        try
        {
            fixed (byte* p = buffer)
            {
                for (var i = 0; i < slots; i++)
                {
                    _receive.Iovecs[i].Base = p + ((nint)i * slotSize);
                    _receive.Iovecs[i].Length = (nuint)slotSize;
                }

                while (true)
                {
                    if (!TryAcquire(out var socket))
                    {
                        return 0;
                    }

                    try
                    {
                        for (var i = 0; i < slots; i++)
                        {
                            _receive.Messages[i].Header.NameLength = (uint)sizeof(SockAddrIn6);
                            _receive.Messages[i].Header.Flags = 0;
                            _receive.Messages[i].Header.Control = wantSegments ? _receive.Controls + ((nint)i * BatchHeaders.ControlSize) : null;
                            _receive.Messages[i].Header.ControlLength = wantSegments ? BatchHeaders.ControlSize : 0u;
                        }

                        var n = LibC.RecvMMsg(socket.Fd.Fd, _receive.Messages, (uint)slots, SocketConstants.MSG_DONTWAIT, null);
                        if (n > 0)
                        {
                            for (var i = 0; i < n; i++)
                            {
                                lengths[i] = (int)_receive.Messages[i].Length;
                                sources[i] = ReadName(&_receive.Names[i]);
                                if (wantSegments)
                                {
                                    segmentSizes[i] = ReadGroSize(in _receive.Messages[i].Header);
                                }
                            }

                            return n;
                        }

                        var errno = Marshal.GetLastPInvokeError();
                        if (errno == Errno.EAGAIN)
                        {
                            // Woken up means retired (rebind or dispose): the next TryAcquire decides which.
                            _ = FdWait.Wait(socket.Fd.Fd, SocketConstants.POLLIN, socket.Wake.Fd);
                        }
                        else if (errno != Errno.EINTR)
                        {
                            throw new NativeException(errno, $"recvmmsg on UDP port {socket.Port}");
                        }
                    }
                    finally
                    {
                        Release(socket);
                    }
                }
            }
        }
        finally
        {
            _receive.Leave();
        }
    }

    // The UDP_GRO cmsg, if the kernel attached one: the size of the coalesced datagrams.
    private static int ReadGroSize(in MsgHdr header)
    {
        var control = (byte*)header.Control;
        if (control is null || header.ControlLength < 16 + sizeof(int))
        {
            return 0;
        }

        var length = *(nuint*)control;
        var level = *(int*)(control + 8);
        var type = *(int*)(control + 12);
        return length >= 16 + sizeof(int) && level == SocketConstants.SOL_UDP && type == SocketConstants.UDP_GRO ? *(int*)(control + 16) : 0;
    }
}
