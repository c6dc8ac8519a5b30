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
}
