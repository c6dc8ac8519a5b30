namespace MeshPorts.Native.Linux.Interop;

/// <summary>
/// Socket, file and poll constants for Linux x86_64/arm64, from &lt;sys/socket.h&gt; (&lt;asm-generic/socket.h&gt;),
/// &lt;netinet/in.h&gt; (&lt;linux/in6.h&gt;), &lt;fcntl.h&gt;, &lt;sys/eventfd.h&gt; and &lt;poll.h&gt;.
/// </summary>
internal static class SocketConstants
{
    internal const int AF_INET = 2;
    internal const int AF_INET6 = 10;
    internal const int SOCK_DGRAM = 2;
    internal const int SOCK_RAW = 3;
    internal const int SOCK_NONBLOCK = 0x800;
    internal const int SOCK_CLOEXEC = 0x80000;

    internal const int SOL_SOCKET = 1;
    internal const int SO_SNDBUF = 7;
    internal const int SO_RCVBUF = 8;
    internal const int SO_SNDBUFFORCE = 32;
    internal const int SO_RCVBUFFORCE = 33;
    internal const int SO_MARK = 36;

    internal const int IPPROTO_IPV6 = 41;
    internal const int IPV6_V6ONLY = 26;

    internal const int MSG_DONTWAIT = 0x40;

    /// <summary>SOL_UDP (= IPPROTO_UDP) options from &lt;linux/udp.h&gt;.</summary>
    internal const int SOL_UDP = 17;

    /// <summary>Send: the cmsg (u16) is the segment size the kernel cuts one large send into (GSO).</summary>
    internal const int UDP_SEGMENT = 103;

    /// <summary>Receive: let the kernel hand over coalesced datagrams; a cmsg (int) gives the segment size.</summary>
    internal const int UDP_GRO = 104;

    internal const int O_RDWR = 0x2;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_CLOEXEC = 0x80000;

    internal const int EFD_NONBLOCK = 0x800;
    internal const int EFD_CLOEXEC = 0x80000;

    internal const short POLLIN = 0x1;
    internal const short POLLOUT = 0x4;
    internal const short POLLERR = 0x8;
    internal const short POLLHUP = 0x10;
    internal const short POLLNVAL = 0x20;
}
