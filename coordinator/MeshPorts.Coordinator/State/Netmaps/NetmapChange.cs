using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>
/// What one change to the model touched, so that only the views it can alter are recomputed. Time passing
/// needs no mention: every recompute also looks at the grants and keys that started or ended since the last.
/// </summary>
/// <param name="Nodes">Nodes added, changed (key, reported endpoints) or removed.</param>
/// <param name="Grants">Grants added or changed (revoked, ended with a node), as they are now.</param>
/// <param name="Records">Whether a node record was added, replaced or removed (the enrolled directory is rebuilt).</param>
internal sealed record NetmapChange(IReadOnlyList<string> Nodes, IReadOnlyList<GrantRecord> Grants, bool Records)
{
    /// <summary>Nothing but the time: a deadline passed.</summary>
    public static NetmapChange Clock { get; } = new([], [], false);

    /// <summary>The node was enrolled, its record changed, or it was removed.</summary>
    public static NetmapChange Node(string nodeId) => new([nodeId], [], true);

    /// <summary>The node's keys changed (rotated, previous one dropped); its name, machine key and address did not.</summary>
    public static NetmapChange Key(string nodeId) => new([nodeId], [], false);

    /// <summary>The node's reported endpoints or home relay changed; its record did not.</summary>
    public static NetmapChange Reach(string nodeId) => new([nodeId], [], false);

    public static NetmapChange Grant(GrantRecord grant) => new([], [grant], false);
}
