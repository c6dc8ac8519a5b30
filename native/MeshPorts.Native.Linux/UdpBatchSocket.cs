using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux;

/// <summary>
/// A dual-stack UDP socket (AF_INET6 with IPV6_V6ONLY off: IPv4 peers appear v4-mapped) that moves
/// datagrams in batches with recvmmsg/sendmmsg. The message headers, iovecs and addresses live in
/// native memory allocated once per socket, so the batch paths allocate nothing per packet.
/// On a kernel booted without IPv6 it falls back to an AF_INET socket (see <see cref="IsDualStack"/>).
/// </summary>
/// <remarks>
/// Threading: <see cref="ReceiveBatch"/> must be called by one thread at a time and
/// <see cref="SendBatch"/> by one thread at a time (each direction owns its preallocated headers);
/// the two directions may run concurrently. <see cref="Send"/>, <see cref="Rebind"/>,
/// <see cref="SetFwmark"/> and <see cref="Dispose"/> may be called from any thread. Dispose wakes a
/// blocked receiver, which then returns 0; Rebind wakes it too and it carries on on the new port.
/// </remarks>
public sealed unsafe class UdpBatchSocket : IDisposable
{
    /// <summary>Default number of datagrams per recvmmsg/sendmmsg call (wireguard-go uses 128).</summary>
    public const int DefaultMaxBatch = 128;

    private readonly object _rebindLock = new();
    private readonly BatchHeaders _receive;
    private readonly BatchHeaders _send;
    private BoundUdpSocket _current;
    private readonly bool _isIPv6;
    private uint _fwmark;
    private int _disposed;
    private long _sendErrors;

    /// <summary>Most datagrams one UDP_SEGMENT send carries (the kernel's UDP_MAX_SEGMENTS was 64 before 6.x).</summary>
    public const int MaxSegments = 64;

    /// <summary>Most payload bytes one UDP_SEGMENT send carries, below the 65,507 an IPv4 datagram can hold.</summary>
    public const int MaxSegmentedBytes = 65000;

    private readonly int[] _groupSizes;
    private readonly int[] _groupFirst;
    private readonly bool _offloads;
    private volatile bool _gso;

    /// <summary>Binds [::]:<paramref name="port"/> (0 = an ephemeral port; see <see cref="LocalPort"/>).</summary>
    /// <param name="offloads">
    /// Use UDP_SEGMENT (one send carries up to <see cref="MaxSegments"/> equal datagrams to one
    /// destination) and UDP_GRO (one receive may carry several datagrams of one sender). Either
    /// turns itself off where the kernel refuses it; see <see cref="Gso"/> and <see cref="Gro"/>.
    /// </param>
    /// <exception cref="NativeException">The socket cannot be created or the port is taken (EADDRINUSE).</exception>
    public UdpBatchSocket(ushort port, int maxBatch = DefaultMaxBatch, bool offloads = false)
        : this(port, maxBatch, ipv6: true, offloads)
    {
    }

    /// <summary><paramref name="ipv6"/> false forces the IPv4-only fallback used on kernels without IPv6 (for tests).</summary>
    internal UdpBatchSocket(ushort port, int maxBatch, bool ipv6, bool offloads = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBatch, 1024);
        MaxBatch = maxBatch;
        _offloads = offloads;
        _gso = offloads;
        _current = BoundUdpSocket.Open(port, 0, ipv6, gro: offloads);
        _isIPv6 = _current.IsIPv6;
        _receive = new BatchHeaders(maxBatch);
        _send = new BatchHeaders(maxBatch);
        _groupSizes = new int[maxBatch];
        _groupFirst = new int[maxBatch];
    }

    /// <summary>
    /// True while <see cref="SendBatch"/> sends runs of equal datagrams with UDP_SEGMENT. It turns
    /// off for good the first time the kernel refuses a segmented send (EIO: the route's device
    /// cannot checksum; EINVAL or EOPNOTSUPP: no UDP GSO), and that batch is resent one by one.
    /// </summary>
    public bool Gso => _gso;

    /// <summary>True when the socket has UDP_GRO on, so a receive may carry several datagrams.</summary>
    public bool Gro => Volatile.Read(ref _current).Gro;

    /// <summary>The bound port, after any <see cref="Rebind"/>.</summary>
    public ushort LocalPort => Volatile.Read(ref _current).Port;

    /// <summary>
    /// True for the normal dual-stack socket; false only on a kernel without IPv6, where IPv6
    /// destinations are refused (counted in <see cref="SendErrors"/>).
    /// </summary>
    public bool IsDualStack => _isIPv6;

    /// <summary>Most datagrams one batch call moves.</summary>
    public int MaxBatch { get; }

    /// <summary>The SO_MARK applied to outgoing packets; 0 = none.</summary>
    public uint Fwmark => Volatile.Read(ref _fwmark);

    /// <summary>Datagrams the kernel refused to send (unreachable, filtered, too big) and that were dropped.</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

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

    /// <summary>
    /// Moves the socket to a new port (close and reopen, as <c>wg set listen-port</c> needs). The
    /// fwmark carries over; a blocked receiver continues on the new socket. Rebinding to the current
    /// non-zero port does nothing. If the new port cannot be bound the old socket stays in use.
    /// </summary>
    public void Rebind(ushort port)
    {
        lock (_rebindLock)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var old = _current;
            if (port != 0 && port == old.Port)
            {
                return;
            }

            var next = BoundUdpSocket.Open(port, _fwmark, _isIPv6, gro: _offloads);
            Volatile.Write(ref _current, next);
            old.Dispose();
        }
    }

    /// <summary>Sets SO_MARK (needs CAP_NET_ADMIN) so policy routing can keep tunnel traffic out of the tunnel; 0 clears it.</summary>
    public void SetFwmark(uint mark)
    {
        lock (_rebindLock)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            BoundUdpSocket.SetMark(_current.Fd, mark);
            Volatile.Write(ref _fwmark, mark);
        }
    }

    /// <summary>Wakes a blocked receiver (it returns 0) and closes the socket.</summary>
    public void Dispose()
    {
        lock (_rebindLock)
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _current.Dispose();
            _receive.Dispose();
            _send.Dispose();
        }
    }

    /// <summary>The SO_MARK the kernel holds for the current socket (for tests).</summary>
    internal int ReadKernelMark() => BoundUdpSocket.GetInt(Volatile.Read(ref _current).Fd, SocketConstants.SOL_SOCKET, SocketConstants.SO_MARK);

    /// <summary>Sets an int option on the current socket (for tests that make the kernel refuse a send).</summary>
    internal void SetKernelOption(int level, int name, int value)
    {
        var fd = Volatile.Read(ref _current).Fd;
        if (LibC.SetSockOpt(fd.Fd, level, name, &value, sizeof(int)) < 0)
        {
            throw NativeException.FromLastError($"setsockopt({level}, {name})");
        }
    }

    /// <summary>The receive buffer size the kernel granted (for tests).</summary>
    internal int ReadKernelReceiveBuffer() => BoundUdpSocket.GetInt(Volatile.Read(ref _current).Fd, SocketConstants.SOL_SOCKET, SocketConstants.SO_RCVBUF);

    /// <summary>
    /// Fills the kernel address for a destination and returns its length: a sockaddr_in6 on the
    /// dual-stack socket; on the IPv4-only fallback a sockaddr_in for IPv4 destinations (an IPv6 one
    /// stays sockaddr_in6 and the kernel refuses it with EAFNOSUPPORT, which counts as a drop).
    /// </summary>
    private uint WriteName(in UdpAddress destination, SockAddrIn6* name)
    {
        *name = default;
        if (!_isIPv6 && destination.IsIPv4)
        {
            var v4 = (SockAddrIn*)name;
            v4->Family = SocketConstants.AF_INET;
            v4->PortNetworkOrder = BinaryPrimitives.ReverseEndianness(destination.Port);
            destination.Address16[12..].CopyTo(new Span<byte>(&v4->Address, 4));
            return (uint)sizeof(SockAddrIn);
        }

        name->Family = SocketConstants.AF_INET6;
        name->PortNetworkOrder = BinaryPrimitives.ReverseEndianness(destination.Port);
        name->ScopeId = destination.ScopeId;
        destination.CopyAddressTo(new Span<byte>(&name->Address, 16));
        return (uint)sizeof(SockAddrIn6);
    }

    private static UdpAddress ReadName(SockAddrIn6* name)
    {
        if (name->Family == SocketConstants.AF_INET6)
        {
            return new UdpAddress(new ReadOnlySpan<byte>(&name->Address, 16), BinaryPrimitives.ReverseEndianness(name->PortNetworkOrder), name->ScopeId);
        }

        // IPv4-only fallback: report the source v4-mapped, as the dual-stack socket would.
        var v4 = (SockAddrIn*)name;
        Span<byte> mapped = stackalloc byte[16];
        mapped[10] = 0xFF;
        mapped[11] = 0xFF;
        new ReadOnlySpan<byte>(&v4->Address, 4).CopyTo(mapped[12..]);
        return new UdpAddress(mapped, BinaryPrimitives.ReverseEndianness(v4->PortNetworkOrder));
    }

    private static void Release(BoundUdpSocket socket)
    {
        socket.Wake.DangerousRelease();
        socket.Fd.DangerousRelease();
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

    /// <summary>References the current socket's fds for one call; false once disposed.</summary>
    private bool TryAcquire(out BoundUdpSocket socket)
    {
        while (true)
        {
            socket = Volatile.Read(ref _current);
            if (Volatile.Read(ref _disposed) != 0)
            {
                return false;
            }

            var fdAdded = false;
            var wakeAdded = false;
            try
            {
                socket.Fd.DangerousAddRef(ref fdAdded);
                socket.Wake.DangerousAddRef(ref wakeAdded);
                return true;
            }
            catch (ObjectDisposedException)
            {
                if (wakeAdded)
                {
                    socket.Wake.DangerousRelease();
                }

                if (fdAdded)
                {
                    socket.Fd.DangerousRelease();
                }

                // Retired between the read and the AddRef: a rebind has already published its successor.
                Thread.Yield();
            }
        }
    }
}
