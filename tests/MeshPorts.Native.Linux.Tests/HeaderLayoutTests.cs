using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux.Tests;

/// <summary>
/// Compiles a C program against the installed kernel and libc headers and compares every constant,
/// struct size and field offset this project hard-codes with what the headers say.
/// </summary>
public sealed class HeaderLayoutTests
{
    private const string Program = """
        #define _GNU_SOURCE
        #include <stdio.h>
        #include <stddef.h>
        #include <errno.h>
        #include <fcntl.h>
        #include <poll.h>
        #include <sys/ioctl.h>
        #include <sys/socket.h>
        #include <sys/uio.h>
        #include <sys/eventfd.h>
        #include <netinet/in.h>
        #include <netinet/udp.h>
        #include <linux/if_tun.h>
        #include <linux/virtio_net.h>
        #include <linux/if.h>
        #include <linux/sockios.h>
        #include <linux/netlink.h>
        #include <linux/rtnetlink.h>
        #include <linux/if_addr.h>
        #define V(x) printf("%s %lld\n", #x, (long long)(x));
        #define S(t) printf("sizeof(%s) %zu\n", #t, sizeof(struct t));
        #define O(t, f) printf("offsetof(%s.%s) %zu\n", #t, #f, offsetof(struct t, f));
        int main(void) {
          V(TUNSETIFF) V(TUNSETOFFLOAD) V(TUNSETVNETHDRSZ) V(IFF_TUN) V(IFF_NO_PI) V(IFF_VNET_HDR) V(IFF_MULTI_QUEUE)
          V(IFNAMSIZ) V(IFF_UP) V(IFF_RUNNING) V(IFF_NOARP) V(IFF_POINTOPOINT)
          V(SIOCGIFFLAGS) V(SIOCSIFFLAGS) V(SIOCGIFMTU) V(SIOCSIFMTU)
          V(AF_NETLINK) V(NETLINK_ROUTE) V(NLM_F_REQUEST) V(NLM_F_ACK) V(NLM_F_REPLACE) V(NLM_F_EXCL) V(NLM_F_CREATE)
          V(NLM_F_CAPPED) V(NLM_F_ACK_TLVS) V(SOL_NETLINK) V(NETLINK_EXT_ACK) V(NLMSGERR_ATTR_MSG)
          V(NLMSG_NOOP) V(NLMSG_ERROR) V(NLMSG_DONE) V(NLMSG_ALIGNTO) V(RTA_ALIGNTO)
          V(RTM_NEWLINK) V(RTM_GETLINK) V(RTM_NEWADDR) V(RTM_DELADDR) V(RTM_NEWROUTE) V(RTM_DELROUTE) V(IFLA_MTU)
          V(RTA_DST) V(RTA_OIF) V(RT_TABLE_MAIN) V(RTPROT_BOOT) V(RT_SCOPE_UNIVERSE) V(RT_SCOPE_LINK) V(RT_SCOPE_NOWHERE) V(RTN_UNICAST)
          V(IFA_ADDRESS) V(IFA_LOCAL) V(IFA_F_NODAD)
          V(AF_INET) V(AF_INET6) V(SOCK_DGRAM) V(SOCK_RAW) V(SOCK_NONBLOCK) V(SOCK_CLOEXEC)
          V(SOL_SOCKET) V(SO_SNDBUF) V(SO_RCVBUF) V(SO_SNDBUFFORCE) V(SO_RCVBUFFORCE) V(SO_MARK) V(IPPROTO_IPV6) V(IPV6_V6ONLY)
          V(MSG_DONTWAIT) V(O_RDWR) V(O_NONBLOCK) V(O_CLOEXEC) V(EFD_NONBLOCK) V(EFD_CLOEXEC)
          V(POLLIN) V(POLLOUT) V(POLLERR) V(POLLHUP) V(POLLNVAL)
          V(EPERM) V(ENOENT) V(EINTR) V(EIO) V(EBADF) V(EAGAIN) V(ENOMEM) V(EACCES) V(EBUSY) V(EEXIST) V(ENODEV) V(EINVAL)
          V(EBADFD) V(EMSGSIZE) V(EAFNOSUPPORT) V(EADDRINUSE) V(EADDRNOTAVAIL) V(ENETDOWN) V(ENETUNREACH) V(ENOBUFS) V(ECONNREFUSED) V(EHOSTUNREACH)
          S(ifreq) O(ifreq, ifr_flags) O(ifreq, ifr_mtu)
          S(pollfd) O(pollfd, events) O(pollfd, revents)
          S(iovec) O(iovec, iov_len)
          S(msghdr) O(msghdr, msg_namelen) O(msghdr, msg_iov) O(msghdr, msg_iovlen) O(msghdr, msg_control) O(msghdr, msg_controllen) O(msghdr, msg_flags)
          S(mmsghdr) O(mmsghdr, msg_len)
          S(sockaddr_in6) O(sockaddr_in6, sin6_port) O(sockaddr_in6, sin6_flowinfo) O(sockaddr_in6, sin6_addr) O(sockaddr_in6, sin6_scope_id)
          S(sockaddr_in) O(sockaddr_in, sin_port) O(sockaddr_in, sin_addr)
          S(sockaddr_nl) O(sockaddr_nl, nl_pid) O(sockaddr_nl, nl_groups)
          S(nlmsghdr) O(nlmsghdr, nlmsg_type) O(nlmsghdr, nlmsg_flags) O(nlmsghdr, nlmsg_seq) O(nlmsghdr, nlmsg_pid)
          S(nlmsgerr) O(nlmsgerr, msg)
          S(ifinfomsg) O(ifinfomsg, ifi_type) O(ifinfomsg, ifi_index) O(ifinfomsg, ifi_flags) O(ifinfomsg, ifi_change)
          S(ifaddrmsg) O(ifaddrmsg, ifa_prefixlen) O(ifaddrmsg, ifa_flags) O(ifaddrmsg, ifa_scope) O(ifaddrmsg, ifa_index)
          S(rtmsg) O(rtmsg, rtm_dst_len) O(rtmsg, rtm_table) O(rtmsg, rtm_protocol) O(rtmsg, rtm_scope) O(rtmsg, rtm_type) O(rtmsg, rtm_flags)
          S(rtattr) O(rtattr, rta_type)
          V(TUN_F_CSUM) V(TUN_F_TSO4) V(TUN_F_TSO6) V(TUN_F_TSO_ECN) V(TUN_F_UFO)
          V(VIRTIO_NET_HDR_F_NEEDS_CSUM) V(VIRTIO_NET_HDR_F_DATA_VALID)
          V(VIRTIO_NET_HDR_GSO_NONE) V(VIRTIO_NET_HDR_GSO_TCPV4) V(VIRTIO_NET_HDR_GSO_UDP) V(VIRTIO_NET_HDR_GSO_TCPV6) V(VIRTIO_NET_HDR_GSO_ECN)
          S(virtio_net_hdr) O(virtio_net_hdr, flags) O(virtio_net_hdr, gso_type) O(virtio_net_hdr, hdr_len)
          O(virtio_net_hdr, gso_size) O(virtio_net_hdr, csum_start) O(virtio_net_hdr, csum_offset)
          V(SOL_UDP) V(UDP_SEGMENT) V(UDP_GRO) V(EOPNOTSUPP)
          V(CMSG_SPACE(sizeof(int))) V(CMSG_LEN(0)) S(cmsghdr)
          /* Newer than some linux-libc-dev releases (Linux 6.2): checked only where the headers have them. */
        #ifdef TUN_F_USO4
          V(TUN_F_USO4)
        #endif
        #ifdef TUN_F_USO6
          V(TUN_F_USO6)
        #endif
        #ifdef VIRTIO_NET_HDR_GSO_UDP_L4
          V(VIRTIO_NET_HDR_GSO_UDP_L4)
        #endif
          return 0;
        }
        """;

    /// <summary>
    /// Values the kernel has had since 6.2 but that older linux-libc-dev packages do not define: the C
    /// program prints them only under #ifdef, and their absence from its output is not a failure.
    /// </summary>
    private static readonly string[] NewerThanSomeHeaders = ["TUN_F_USO4", "TUN_F_USO6", "VIRTIO_NET_HDR_GSO_UDP_L4"];

    [Fact]
    public void ConstantsAndStructLayouts_MatchTheInstalledKernelHeaders()
    {
        var fromHeaders = CompileAndRun();
        var ours = OurValues();

        var mismatches = new List<string>();
        foreach (var (name, expected) in fromHeaders)
        {
            if (!ours.TryGetValue(name, out var actual))
            {
                mismatches.Add($"{name}: the headers say {expected}, the test has no value for it");
            }
            else if (actual != expected)
            {
                mismatches.Add($"{name}: headers {expected} (0x{expected:X}), ours {actual} (0x{actual:X})");
            }
        }

        foreach (var name in ours.Keys.Except(fromHeaders.Keys).Except(NewerThanSomeHeaders))
        {
            mismatches.Add($"{name}: not printed by the C program");
        }

        Assert.True(fromHeaders.Count > 100, $"The C program printed only {fromHeaders.Count} values.");
        Assert.True(mismatches.Count == 0, "Differences from the kernel headers:\n" + string.Join('\n', mismatches));
    }

    [Fact]
    public void TunOffloadsFlags_AreTheTunSetOffloadBits()
    {
        // LinuxTun casts the granted TUNSETOFFLOAD mask straight to TunOffloads; the TUN_F_* values
        // themselves are checked against the headers above.
        Assert.Equal(TunConstants.TUN_F_CSUM, (uint)TunOffloads.Checksum);
        Assert.Equal(TunConstants.TUN_F_TSO4, (uint)TunOffloads.Tso4);
        Assert.Equal(TunConstants.TUN_F_TSO6, (uint)TunOffloads.Tso6);
        Assert.Equal(TunConstants.TUN_F_USO4, (uint)TunOffloads.Uso4);
        Assert.Equal(TunConstants.TUN_F_USO6, (uint)TunOffloads.Uso6);
        const uint kernelBits = TunConstants.TUN_F_CSUM | TunConstants.TUN_F_TSO4 | TunConstants.TUN_F_TSO6
            | TunConstants.TUN_F_TSO_ECN | TunConstants.TUN_F_UFO | TunConstants.TUN_F_USO4 | TunConstants.TUN_F_USO6;
        Assert.Equal(0u, (uint)TunOffloads.VnetHeader & kernelBits);
    }

    private static Dictionary<string, long> CompileAndRun()
    {
        Assert.True(File.Exists("/usr/include/linux/if_tun.h"),
            "Kernel headers are missing (/usr/include/linux/if_tun.h): apt-get install linux-libc-dev so the constants can be checked.");
        var directory = Directory.CreateTempSubdirectory("mpnt-headers-");
        try
        {
            var source = Path.Combine(directory.FullName, "layout.c");
            var binary = Path.Combine(directory.FullName, "layout");
            File.WriteAllText(source, Program);
            Shell.Run("cc", "-o", binary, source);
            var output = Shell.Run(binary);
            var values = new Dictionary<string, long>();
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var space = line.LastIndexOf(' ');
                values[line[..space]] = long.Parse(line[(space + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }

            return values;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static Dictionary<string, long> OurValues()
    {
        var v = new Dictionary<string, long>
        {
            ["TUNSETIFF"] = TunConstants.TUNSETIFF,
            ["TUNSETOFFLOAD"] = TunConstants.TUNSETOFFLOAD,
            ["TUNSETVNETHDRSZ"] = TunConstants.TUNSETVNETHDRSZ,
            ["IFF_TUN"] = TunConstants.IFF_TUN,
            ["IFF_NO_PI"] = TunConstants.IFF_NO_PI,
            ["IFF_VNET_HDR"] = TunConstants.IFF_VNET_HDR,
            ["IFF_MULTI_QUEUE"] = TunConstants.IFF_MULTI_QUEUE,
            ["IFNAMSIZ"] = IfConstants.IFNAMSIZ,
            ["IFF_UP"] = IfConstants.IFF_UP,
            ["IFF_RUNNING"] = IfConstants.IFF_RUNNING,
            ["IFF_NOARP"] = IfConstants.IFF_NOARP,
            ["IFF_POINTOPOINT"] = IfConstants.IFF_POINTOPOINT,
            ["SIOCGIFFLAGS"] = SockiosConstants.SIOCGIFFLAGS,
            ["SIOCSIFFLAGS"] = SockiosConstants.SIOCSIFFLAGS,
            ["SIOCGIFMTU"] = SockiosConstants.SIOCGIFMTU,
            ["SIOCSIFMTU"] = SockiosConstants.SIOCSIFMTU,
            ["AF_NETLINK"] = NetlinkConstants.AF_NETLINK,
            ["NETLINK_ROUTE"] = NetlinkConstants.NETLINK_ROUTE,
            ["NLM_F_REQUEST"] = NetlinkConstants.NLM_F_REQUEST,
            ["NLM_F_ACK"] = NetlinkConstants.NLM_F_ACK,
            ["NLM_F_REPLACE"] = NetlinkConstants.NLM_F_REPLACE,
            ["NLM_F_EXCL"] = NetlinkConstants.NLM_F_EXCL,
            ["NLM_F_CREATE"] = NetlinkConstants.NLM_F_CREATE,
            ["NLM_F_CAPPED"] = NetlinkConstants.NLM_F_CAPPED,
            ["NLM_F_ACK_TLVS"] = NetlinkConstants.NLM_F_ACK_TLVS,
            ["SOL_NETLINK"] = NetlinkConstants.SOL_NETLINK,
            ["NETLINK_EXT_ACK"] = NetlinkConstants.NETLINK_EXT_ACK,
            ["NLMSGERR_ATTR_MSG"] = NetlinkConstants.NLMSGERR_ATTR_MSG,
            ["NLMSG_NOOP"] = NetlinkConstants.NLMSG_NOOP,
            ["NLMSG_ERROR"] = NetlinkConstants.NLMSG_ERROR,
            ["NLMSG_DONE"] = NetlinkConstants.NLMSG_DONE,
            ["NLMSG_ALIGNTO"] = NetlinkConstants.Alignment,
            ["RTA_ALIGNTO"] = NetlinkConstants.Alignment,
            ["RTM_NEWLINK"] = RtnetlinkConstants.RTM_NEWLINK,
            ["RTM_GETLINK"] = RtnetlinkConstants.RTM_GETLINK,
            ["RTM_NEWADDR"] = RtnetlinkConstants.RTM_NEWADDR,
            ["RTM_DELADDR"] = RtnetlinkConstants.RTM_DELADDR,
            ["RTM_NEWROUTE"] = RtnetlinkConstants.RTM_NEWROUTE,
            ["RTM_DELROUTE"] = RtnetlinkConstants.RTM_DELROUTE,
            ["IFLA_MTU"] = RtnetlinkConstants.IFLA_MTU,
            ["RTA_DST"] = RtnetlinkConstants.RTA_DST,
            ["RTA_OIF"] = RtnetlinkConstants.RTA_OIF,
            ["RT_TABLE_MAIN"] = RtnetlinkConstants.RT_TABLE_MAIN,
            ["RTPROT_BOOT"] = RtnetlinkConstants.RTPROT_BOOT,
            ["RT_SCOPE_UNIVERSE"] = RtnetlinkConstants.RT_SCOPE_UNIVERSE,
            ["RT_SCOPE_LINK"] = RtnetlinkConstants.RT_SCOPE_LINK,
            ["RT_SCOPE_NOWHERE"] = RtnetlinkConstants.RT_SCOPE_NOWHERE,
            ["RTN_UNICAST"] = RtnetlinkConstants.RTN_UNICAST,
            ["IFA_ADDRESS"] = IfAddrConstants.IFA_ADDRESS,
            ["IFA_LOCAL"] = IfAddrConstants.IFA_LOCAL,
            ["IFA_F_NODAD"] = IfAddrConstants.IFA_F_NODAD,
            ["AF_INET"] = SocketConstants.AF_INET,
            ["AF_INET6"] = SocketConstants.AF_INET6,
            ["SOCK_DGRAM"] = SocketConstants.SOCK_DGRAM,
            ["SOCK_RAW"] = SocketConstants.SOCK_RAW,
            ["SOCK_NONBLOCK"] = SocketConstants.SOCK_NONBLOCK,
            ["SOCK_CLOEXEC"] = SocketConstants.SOCK_CLOEXEC,
            ["SOL_SOCKET"] = SocketConstants.SOL_SOCKET,
            ["SO_SNDBUF"] = SocketConstants.SO_SNDBUF,
            ["SO_RCVBUF"] = SocketConstants.SO_RCVBUF,
            ["SO_SNDBUFFORCE"] = SocketConstants.SO_SNDBUFFORCE,
            ["SO_RCVBUFFORCE"] = SocketConstants.SO_RCVBUFFORCE,
            ["SO_MARK"] = SocketConstants.SO_MARK,
            ["IPPROTO_IPV6"] = SocketConstants.IPPROTO_IPV6,
            ["IPV6_V6ONLY"] = SocketConstants.IPV6_V6ONLY,
            ["MSG_DONTWAIT"] = SocketConstants.MSG_DONTWAIT,
            ["O_RDWR"] = SocketConstants.O_RDWR,
            ["O_NONBLOCK"] = SocketConstants.O_NONBLOCK,
            ["O_CLOEXEC"] = SocketConstants.O_CLOEXEC,
            ["EFD_NONBLOCK"] = SocketConstants.EFD_NONBLOCK,
            ["EFD_CLOEXEC"] = SocketConstants.EFD_CLOEXEC,
            ["POLLIN"] = SocketConstants.POLLIN,
            ["POLLOUT"] = SocketConstants.POLLOUT,
            ["POLLERR"] = SocketConstants.POLLERR,
            ["POLLHUP"] = SocketConstants.POLLHUP,
            ["POLLNVAL"] = SocketConstants.POLLNVAL,
            ["EPERM"] = Errno.EPERM,
            ["ENOENT"] = Errno.ENOENT,
            ["EINTR"] = Errno.EINTR,
            ["EIO"] = Errno.EIO,
            ["EBADF"] = Errno.EBADF,
            ["EAGAIN"] = Errno.EAGAIN,
            ["ENOMEM"] = Errno.ENOMEM,
            ["EACCES"] = Errno.EACCES,
            ["EBUSY"] = Errno.EBUSY,
            ["EEXIST"] = Errno.EEXIST,
            ["ENODEV"] = Errno.ENODEV,
            ["EINVAL"] = Errno.EINVAL,
            ["EBADFD"] = Errno.EBADFD,
            ["EMSGSIZE"] = Errno.EMSGSIZE,
            ["EAFNOSUPPORT"] = Errno.EAFNOSUPPORT,
            ["EADDRINUSE"] = Errno.EADDRINUSE,
            ["EADDRNOTAVAIL"] = Errno.EADDRNOTAVAIL,
            ["ENETDOWN"] = Errno.ENETDOWN,
            ["ENETUNREACH"] = Errno.ENETUNREACH,
            ["ENOBUFS"] = Errno.ENOBUFS,
            ["ECONNREFUSED"] = Errno.ECONNREFUSED,
            ["EHOSTUNREACH"] = Errno.EHOSTUNREACH,
            ["EOPNOTSUPP"] = Errno.EOPNOTSUPP,
            ["TUN_F_CSUM"] = TunConstants.TUN_F_CSUM,
            ["TUN_F_TSO4"] = TunConstants.TUN_F_TSO4,
            ["TUN_F_TSO6"] = TunConstants.TUN_F_TSO6,
            ["TUN_F_TSO_ECN"] = TunConstants.TUN_F_TSO_ECN,
            ["TUN_F_UFO"] = TunConstants.TUN_F_UFO,
            ["TUN_F_USO4"] = TunConstants.TUN_F_USO4,
            ["TUN_F_USO6"] = TunConstants.TUN_F_USO6,
            ["VIRTIO_NET_HDR_F_NEEDS_CSUM"] = VirtioNetHeader.FlagNeedsChecksum,
            ["VIRTIO_NET_HDR_F_DATA_VALID"] = VirtioNetHeader.FlagDataValid,
            ["VIRTIO_NET_HDR_GSO_NONE"] = VirtioNetHeader.GsoNone,
            ["VIRTIO_NET_HDR_GSO_TCPV4"] = VirtioNetHeader.GsoTcpV4,
            ["VIRTIO_NET_HDR_GSO_UDP"] = VirtioNetHeader.GsoUdp,
            ["VIRTIO_NET_HDR_GSO_TCPV6"] = VirtioNetHeader.GsoTcpV6,
            ["VIRTIO_NET_HDR_GSO_ECN"] = VirtioNetHeader.GsoEcn,
            ["VIRTIO_NET_HDR_GSO_UDP_L4"] = VirtioNetHeader.GsoUdpL4,
            ["SOL_UDP"] = SocketConstants.SOL_UDP,
            ["UDP_SEGMENT"] = SocketConstants.UDP_SEGMENT,
            ["UDP_GRO"] = SocketConstants.UDP_GRO,
            ["CMSG_SPACE(sizeof(int))"] = BatchHeaders.ControlSize,
            // UdpBatchSocket writes and parses the cmsghdr by hand: its data starts 16 bytes in.
            ["CMSG_LEN(0)"] = 16,
            ["sizeof(cmsghdr)"] = 16,
        };

        VirtioNetHeaderLayout(v);

        Size<IfReq>(v, "ifreq");
        Offset<IfReq>(v, "ifreq", "ifr_flags", nameof(IfReq.Flags));
        Offset<IfReq>(v, "ifreq", "ifr_mtu", nameof(IfReq.Mtu));
        Size<PollFd>(v, "pollfd");
        Offset<PollFd>(v, "pollfd", "events", nameof(PollFd.Events));
        Offset<PollFd>(v, "pollfd", "revents", nameof(PollFd.REvents));
        Size<IoVec>(v, "iovec");
        Offset<IoVec>(v, "iovec", "iov_len", nameof(IoVec.Length));
        Size<MsgHdr>(v, "msghdr");
        Offset<MsgHdr>(v, "msghdr", "msg_namelen", nameof(MsgHdr.NameLength));
        Offset<MsgHdr>(v, "msghdr", "msg_iov", nameof(MsgHdr.Iov));
        Offset<MsgHdr>(v, "msghdr", "msg_iovlen", nameof(MsgHdr.IovLength));
        Offset<MsgHdr>(v, "msghdr", "msg_control", nameof(MsgHdr.Control));
        Offset<MsgHdr>(v, "msghdr", "msg_controllen", nameof(MsgHdr.ControlLength));
        Offset<MsgHdr>(v, "msghdr", "msg_flags", nameof(MsgHdr.Flags));
        Size<MMsgHdr>(v, "mmsghdr");
        Offset<MMsgHdr>(v, "mmsghdr", "msg_len", nameof(MMsgHdr.Length));
        Size<SockAddrIn6>(v, "sockaddr_in6");
        Offset<SockAddrIn6>(v, "sockaddr_in6", "sin6_port", nameof(SockAddrIn6.PortNetworkOrder));
        Offset<SockAddrIn6>(v, "sockaddr_in6", "sin6_flowinfo", nameof(SockAddrIn6.FlowInfo));
        Offset<SockAddrIn6>(v, "sockaddr_in6", "sin6_addr", nameof(SockAddrIn6.Address));
        Offset<SockAddrIn6>(v, "sockaddr_in6", "sin6_scope_id", nameof(SockAddrIn6.ScopeId));
        Size<SockAddrIn>(v, "sockaddr_in");
        Offset<SockAddrIn>(v, "sockaddr_in", "sin_port", nameof(SockAddrIn.PortNetworkOrder));
        Offset<SockAddrIn>(v, "sockaddr_in", "sin_addr", nameof(SockAddrIn.Address));
        Size<SockAddrNl>(v, "sockaddr_nl");
        Offset<SockAddrNl>(v, "sockaddr_nl", "nl_pid", nameof(SockAddrNl.PortId));
        Offset<SockAddrNl>(v, "sockaddr_nl", "nl_groups", nameof(SockAddrNl.Groups));
        Size<NlMsgHdr>(v, "nlmsghdr");
        Offset<NlMsgHdr>(v, "nlmsghdr", "nlmsg_type", nameof(NlMsgHdr.Type));
        Offset<NlMsgHdr>(v, "nlmsghdr", "nlmsg_flags", nameof(NlMsgHdr.Flags));
        Offset<NlMsgHdr>(v, "nlmsghdr", "nlmsg_seq", nameof(NlMsgHdr.Sequence));
        Offset<NlMsgHdr>(v, "nlmsghdr", "nlmsg_pid", nameof(NlMsgHdr.PortId));
        Size<NlMsgErr>(v, "nlmsgerr");
        Offset<NlMsgErr>(v, "nlmsgerr", "msg", nameof(NlMsgErr.Request));
        Size<IfInfoMsg>(v, "ifinfomsg");
        Offset<IfInfoMsg>(v, "ifinfomsg", "ifi_type", nameof(IfInfoMsg.Type));
        Offset<IfInfoMsg>(v, "ifinfomsg", "ifi_index", nameof(IfInfoMsg.Index));
        Offset<IfInfoMsg>(v, "ifinfomsg", "ifi_flags", nameof(IfInfoMsg.Flags));
        Offset<IfInfoMsg>(v, "ifinfomsg", "ifi_change", nameof(IfInfoMsg.Change));
        Size<IfAddrMsg>(v, "ifaddrmsg");
        Offset<IfAddrMsg>(v, "ifaddrmsg", "ifa_prefixlen", nameof(IfAddrMsg.PrefixLength));
        Offset<IfAddrMsg>(v, "ifaddrmsg", "ifa_flags", nameof(IfAddrMsg.Flags));
        Offset<IfAddrMsg>(v, "ifaddrmsg", "ifa_scope", nameof(IfAddrMsg.Scope));
        Offset<IfAddrMsg>(v, "ifaddrmsg", "ifa_index", nameof(IfAddrMsg.Index));
        Size<RtMsg>(v, "rtmsg");
        Offset<RtMsg>(v, "rtmsg", "rtm_dst_len", nameof(RtMsg.DestinationLength));
        Offset<RtMsg>(v, "rtmsg", "rtm_table", nameof(RtMsg.Table));
        Offset<RtMsg>(v, "rtmsg", "rtm_protocol", nameof(RtMsg.Protocol));
        Offset<RtMsg>(v, "rtmsg", "rtm_scope", nameof(RtMsg.Scope));
        Offset<RtMsg>(v, "rtmsg", "rtm_type", nameof(RtMsg.Type));
        Offset<RtMsg>(v, "rtmsg", "rtm_flags", nameof(RtMsg.Flags));
        Size<RtAttr>(v, "rtattr");
        Offset<RtAttr>(v, "rtattr", "rta_type", nameof(RtAttr.Type));
        return v;
    }

    // VirtioNetHeader is (de)serialised field by field rather than laid out in memory, so its offsets
    // are where Write puts each field: every field gets a distinct value and is looked up in the bytes.
    private static void VirtioNetHeaderLayout(Dictionary<string, long> values)
    {
        var header = new VirtioNetHeader
        {
            Flags = 0x11,
            GsoType = 0x22,
            HeaderLength = 0x4433,
            GsoSize = 0x6655,
            ChecksumStart = 0x8877,
            ChecksumOffset = 0xAA99,
        };
        var bytes = new byte[VirtioNetHeader.Size];
        header.Write(bytes);
        values["sizeof(virtio_net_hdr)"] = VirtioNetHeader.Size;
        values["offsetof(virtio_net_hdr.flags)"] = Array.IndexOf(bytes, (byte)0x11);
        values["offsetof(virtio_net_hdr.gso_type)"] = Array.IndexOf(bytes, (byte)0x22);
        // Little-endian fields: the low byte comes first.
        values["offsetof(virtio_net_hdr.hdr_len)"] = Array.IndexOf(bytes, (byte)0x33);
        values["offsetof(virtio_net_hdr.gso_size)"] = Array.IndexOf(bytes, (byte)0x55);
        values["offsetof(virtio_net_hdr.csum_start)"] = Array.IndexOf(bytes, (byte)0x77);
        values["offsetof(virtio_net_hdr.csum_offset)"] = Array.IndexOf(bytes, (byte)0x99);
        Assert.Equal(header, VirtioNetHeader.Read(bytes));
    }

    private static void Size<T>(Dictionary<string, long> values, string cName)
        where T : unmanaged
    {
        // Unsafe.SizeOf is what the pointer arithmetic uses; Marshal.SizeOf must agree for a blittable struct.
        Assert.Equal(Unsafe.SizeOf<T>(), Marshal.SizeOf<T>());
        values[$"sizeof({cName})"] = Unsafe.SizeOf<T>();
    }

    private static void Offset<T>(Dictionary<string, long> values, string cName, string cField, string field)
        where T : unmanaged =>
        values[$"offsetof({cName}.{cField})"] = Marshal.OffsetOf<T>(field).ToInt64();
}
