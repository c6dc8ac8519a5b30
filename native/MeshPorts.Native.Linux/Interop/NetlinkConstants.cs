namespace MeshPorts.Native.Linux.Interop;

/// <summary>Generic netlink framing, from &lt;linux/netlink.h&gt;.</summary>
internal static class NetlinkConstants
{
    internal const int AF_NETLINK = 16;
    internal const int NETLINK_ROUTE = 0;

    internal const ushort NLM_F_REQUEST = 0x01;
    internal const ushort NLM_F_ACK = 0x04;
    internal const ushort NLM_F_REPLACE = 0x100;
    internal const ushort NLM_F_EXCL = 0x200;
    internal const ushort NLM_F_CREATE = 0x400;

    /// <summary>Set on an NLMSG_ERROR reply when the echoed request was cut to its header.</summary>
    internal const ushort NLM_F_CAPPED = 0x100;

    /// <summary>Set on an NLMSG_ERROR reply that carries extended-ACK attributes.</summary>
    internal const ushort NLM_F_ACK_TLVS = 0x200;

    /// <summary>SOL_NETLINK from &lt;bits/socket.h&gt; (linux/socket.h): the netlink socket option level.</summary>
    internal const int SOL_NETLINK = 270;

    /// <summary>Ask the kernel to explain failures in an NLMSGERR_ATTR_MSG string.</summary>
    internal const int NETLINK_EXT_ACK = 11;

    internal const ushort NLMSGERR_ATTR_MSG = 1;

    internal const ushort NLMSG_NOOP = 0x1;
    internal const ushort NLMSG_ERROR = 0x2;
    internal const ushort NLMSG_DONE = 0x3;

    /// <summary>NLMSG_ALIGNTO and RTA_ALIGNTO: messages and attributes are padded to 4 bytes.</summary>
    internal const int Alignment = 4;

    internal static int Align(int length) => (length + Alignment - 1) & ~(Alignment - 1);
}
