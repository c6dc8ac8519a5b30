namespace MeshPorts.Integration.Tests.Harness;

/// <summary>The reference: `wireguard-go -f IFNAME`.</summary>
internal sealed class WireGuardGoPeer(NetNs ns, string interfaceName) : WgPeer(ns, interfaceName)
{
    public override PeerKind Kind => PeerKind.WireGuardGo;

    protected override (IReadOnlyList<string> Argv, IReadOnlyDictionary<string, string>? Environment) DaemonCommand() =>
        (["wireguard-go", "-f", InterfaceName],
         new Dictionary<string, string>
         {
             // wireguard-go refuses to run where the kernel module exists unless told this.
             ["WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD"] = "1",
             ["LOG_LEVEL"] = "error",
         });
}
