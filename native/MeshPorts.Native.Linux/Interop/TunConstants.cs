namespace MeshPorts.Native.Linux.Interop;

/// <summary>TUN driver ioctls and flags, from &lt;linux/if_tun.h&gt; (x86_64/arm64 _IOW encoding).</summary>
internal static class TunConstants
{
    /// <summary>_IOW('T', 202, int): attach the fd to a named TUN/TAP device.</summary>
    internal const uint TUNSETIFF = 0x400454CA;

    /// <summary>_IOW('T', 208, unsigned int): which offloads the reader can take (needs IFF_VNET_HDR).</summary>
    internal const uint TUNSETOFFLOAD = 0x400454D0;

    /// <summary>_IOW('T', 216, int): size of the virtio_net_hdr before each packet.</summary>
    internal const uint TUNSETVNETHDRSZ = 0x400454D8;

    internal const short IFF_TUN = 0x0001;
    internal const short IFF_NO_PI = 0x1000;
    internal const short IFF_VNET_HDR = 0x4000;
    internal const short IFF_MULTI_QUEUE = 0x0100;

    // TUNSETOFFLOAD bits: what the reader accepts in (and promises to finish for) packets it reads.
    internal const uint TUN_F_CSUM = 0x01;
    internal const uint TUN_F_TSO4 = 0x02;
    internal const uint TUN_F_TSO6 = 0x04;
    internal const uint TUN_F_TSO_ECN = 0x08;
    internal const uint TUN_F_UFO = 0x10;
    internal const uint TUN_F_USO4 = 0x20;
    internal const uint TUN_F_USO6 = 0x40;
}
