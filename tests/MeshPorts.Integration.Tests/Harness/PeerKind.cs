namespace MeshPorts.Integration.Tests.Harness;

/// <summary>Which userspace WireGuard implementation a peer runs.</summary>
public enum PeerKind
{
    /// <summary>The reference userspace implementation, `wireguard-go IFNAME`.</summary>
    WireGuardGo,

    /// <summary>Ours, `meshports-node wg IFNAME`.</summary>
    Meshports,
}
