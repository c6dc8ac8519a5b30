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

    internal const ushort NLMSG_NOOP = 0x1;
    internal const ushort NLMSG_ERROR = 0x2;
    internal const ushort NLMSG_DONE = 0x3;

    /// <summary>NLMSG_ALIGNTO and RTA_ALIGNTO: messages and attributes are padded to 4 bytes.</summary>
    internal const int Alignment = 4;

    internal static int Align(int length) => (length + Alignment - 1) & ~(Alignment - 1);
}
