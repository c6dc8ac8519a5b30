namespace MeshPorts.Native.Linux;

/// <summary>
/// How a TUN device is opened. Today it is always IFF_TUN|IFF_NO_PI (one raw IP packet per read);
/// IFF_VNET_HDR with TUNSETOFFLOAD (GSO/GRO super-packets) is meant to be added here as new options
/// so existing callers keep the plain behaviour.
/// </summary>
public sealed record LinuxTunOptions
{
    /// <summary>The defaults: bring the link up after creation.</summary>
    public static LinuxTunOptions Default { get; } = new();

    /// <summary>Set IFF_UP once the device exists and its MTU is set. Default true.</summary>
    public bool BringUp { get; init; } = true;
}
