namespace MeshPorts.Integration.Tests.Harness;

/// <summary>Which userspace WireGuard implementation a peer runs.</summary>
public enum PeerKind
{
    /// <summary>The reference userspace implementation, `wireguard-go IFNAME`.</summary>
    WireGuardGo,

    /// <summary>Ours, `meshports-node wg IFNAME`.</summary>
    Meshports,

    /// <summary>
    /// Ours with every offload off, `meshports-node wg IFNAME --no-offload`: no vnet header on the TUN,
    /// no UDP GSO/GRO. Not in <see cref="Pairs.All"/>; <c>OffloadTests</c> pairs it with the others.
    /// </summary>
    MeshportsNoOffload,
}
