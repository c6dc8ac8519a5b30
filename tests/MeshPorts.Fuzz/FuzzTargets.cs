using MeshPorts.Fuzz.Targets;

namespace MeshPorts.Fuzz;

/// <summary>Every target, in the order scripts/fuzz.sh runs them (most exposed first).</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        WireGuardMessages.Target,
        UapiSet.Target,
        JoinStrings.Target,
        PolicyFiles.Target,
        OffloadSplit.Target,
        TcpCoalesce.Target,
        FilterPackets.Target,
        StunMessages.Target,
        RelayFrames.Target,
        WatchEvents.Target,
    ];

    /// <summary>Parsers that exist on other branches and get a target once they land on main.</summary>
    public static IReadOnlyList<string> Pending { get; } =
    [
        "dns-query: the node's DNS name server (issue 14, branch dns-node) is not on main yet",
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
