namespace MeshPorts.Native.Linux.Interop;

/// <summary>
/// Route netlink message types and route attributes, from &lt;linux/rtnetlink.h&gt;; IFLA_MTU from
/// &lt;linux/if_link.h&gt;, which rtnetlink.h includes.
/// </summary>
internal static class RtnetlinkConstants
{
    internal const ushort RTM_NEWLINK = 16;
    internal const ushort RTM_GETLINK = 18;
    internal const ushort RTM_NEWADDR = 20;
    internal const ushort RTM_DELADDR = 21;
    internal const ushort RTM_NEWROUTE = 24;
    internal const ushort RTM_DELROUTE = 25;

    internal const ushort IFLA_MTU = 4;

    internal const ushort RTA_DST = 1;
    internal const ushort RTA_OIF = 4;

    internal const byte RT_TABLE_MAIN = 254;
    internal const byte RTPROT_BOOT = 3;
    internal const byte RT_SCOPE_UNIVERSE = 0;
    internal const byte RT_SCOPE_LINK = 253;
    internal const byte RT_SCOPE_NOWHERE = 255;
    internal const byte RTN_UNICAST = 1;
}
