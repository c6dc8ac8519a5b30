namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>Where State sends what nodes should know; the streaming layer turns it into Watch events.</summary>
internal interface INetmapPublisher
{
    /// <summary>Opens the node's feed if it has none (at start, or when another coordinator enrolled it).</summary>
    void Seed(string nodeId);

    /// <summary>Diffs each view against what was last published; returns the new serial of every node that changed.</summary>
    IReadOnlyDictionary<string, ulong> Publish(IReadOnlyCollection<NodeView> views);

    /// <summary>Ends the node's streams at once (node removed).</summary>
    void Disconnect(string nodeId);

    /// <summary>To the node's open streams only (a request for an offline node waits in the store); false when none is open.</summary>
    bool SendRotateNow(string nodeId, string reason);

    /// <summary>Every peer has the node's new key; kept for its next stream only by the coordinator that finished the rotation.</summary>
    void SendRotationReady(string nodeId, byte[] newKey, bool keepForNextStream);

    /// <summary>The node's serial if its last published netmap holds <paramref name="peerId"/> with <paramref name="key"/>, else null.</summary>
    ulong? SerialPublishing(string nodeId, string peerId, byte[] key);

    bool IsOnline(string nodeId);

    /// <summary>The last serial produced for the node (0 if none).</summary>
    ulong LatestSerial(string nodeId);

    /// <summary>The node acked <paramref name="serial"/> (checked against <see cref="LatestSerial"/>): apply lag stops counting for it.</summary>
    void Acked(string nodeId, ulong serial);
}
