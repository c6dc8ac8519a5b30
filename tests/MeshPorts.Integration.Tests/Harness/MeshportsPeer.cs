namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// Ours: `meshports-node wg IFNAME -f`, located by <see cref="MeshportsBinary"/>; with
/// <c>offloads: false</c> it adds `--no-offload` (TUN without vnet header, UDP without GSO/GRO).
/// </summary>
internal sealed class MeshportsPeer(NetNs ns, string interfaceName, bool offloads) : WgPeer(ns, interfaceName)
{
    public override PeerKind Kind => offloads ? PeerKind.Meshports : PeerKind.MeshportsNoOffload;

    protected override (IReadOnlyList<string> Argv, IReadOnlyDictionary<string, string>? Environment) DaemonCommand() =>
        (offloads
            ? [MeshportsBinary.Locate(), "wg", InterfaceName, "-f"]
            : [MeshportsBinary.Locate(), "wg", InterfaceName, "-f", "--no-offload"],
         new Dictionary<string, string> { ["LOG_LEVEL"] = Environment.GetEnvironmentVariable("MESHPORTS_IT_LOG_LEVEL") ?? "info" });
}
