namespace MeshPorts.Native.Linux;

/// <summary>The TUNSETOFFLOAD bits a device was granted (&lt;linux/if_tun.h&gt; TUN_F_*).</summary>
[Flags]
public enum TunOffloads : uint
{
    /// <summary>No IFF_VNET_HDR: plain IP packets in and out.</summary>
    None = 0,

    /// <summary>Reads may carry a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM) for the reader to finish.</summary>
    Checksum = 0x01,

    /// <summary>Reads may be IPv4 TCP super-packets (VIRTIO_NET_HDR_GSO_TCPV4); writes may be too.</summary>
    Tso4 = 0x02,

    /// <summary>Reads may be IPv6 TCP super-packets (VIRTIO_NET_HDR_GSO_TCPV6); writes may be too.</summary>
    Tso6 = 0x04,

    /// <summary>
    /// UDP segmentation offload (VIRTIO_NET_HDR_GSO_UDP_L4), Linux 6.2 and later. The values come
    /// from the kernel's own if_tun.h; the Debian linux-libc-dev here predates them.
    /// </summary>
    Uso4 = 0x20,

    /// <inheritdoc cref="Uso4"/>
    Uso6 = 0x40,

    /// <summary>Set when the device was opened with IFF_VNET_HDR (not a kernel bit).</summary>
    VnetHeader = 0x8000_0000,
}
