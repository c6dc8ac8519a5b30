namespace MeshPorts.Native.Linux;

/// <summary>How a TUN device is opened: IFF_TUN|IFF_NO_PI, plus IFF_VNET_HDR with offloads when asked.</summary>
public sealed record LinuxTunOptions
{
    /// <summary>The defaults: bring the link up after creation, no offloads.</summary>
    public static LinuxTunOptions Default { get; } = new();

    /// <summary>Set IFF_UP once the device exists and its MTU is set. Default true.</summary>
    public bool BringUp { get; init; } = true;

    /// <summary>
    /// Open with IFF_VNET_HDR and ask for checksum, TSO and (where the kernel has it) USO offloads:
    /// every read and write then starts with a <see cref="VirtioNetHeader"/>, reads may return
    /// super-packets of up to 64 KiB that the caller must segment, and writes may carry coalesced
    /// ones. <see cref="LinuxTun.Offloads"/> says what the kernel granted. Default false.
    /// </summary>
    public bool Offloads { get; init; }
}
