namespace MeshPorts.Integration.Tests.Harness;

/// <summary>Ours: `meshports-node wg IFNAME -f`, located by <see cref="MeshportsBinary"/>.</summary>
internal sealed class MeshportsPeer(NetNs ns, string interfaceName) : WgPeer(ns, interfaceName)
{
    public override PeerKind Kind => PeerKind.Meshports;

    protected override (IReadOnlyList<string> Argv, IReadOnlyDictionary<string, string>? Environment) DaemonCommand() =>
        ([MeshportsBinary.Locate(), "wg", InterfaceName, "-f"],
         new Dictionary<string, string> { ["LOG_LEVEL"] = Environment.GetEnvironmentVariable("MESHPORTS_IT_LOG_LEVEL") ?? "info" });
}
