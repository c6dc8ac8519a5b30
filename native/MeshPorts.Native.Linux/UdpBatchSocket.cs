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
public sealed unsafe partial class UdpBatchSocket : IDisposable
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

    // Per message of the send batch being built (UdpBatchSocket.Segmentation.cs): how many datagrams
    // it carries and the index of its first, so partial sends and GSO fallbacks know where to resume.
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

    private static void Release(BoundUdpSocket socket)
    {
        socket.Wake.DangerousRelease();
        socket.Fd.DangerousRelease();
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
