namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>Where State sends what nodes should know; the streaming layer turns it into Watch events.</summary>
internal interface INetmapPublisher
{
    /// <summary>Sets the serial a node's feed continues from (after a restart).</summary>
    void Seed(string nodeId, ulong latestSerial);

    /// <summary>Diffs each view against what was last published; returns the new serial of every node that changed.</summary>
    IReadOnlyDictionary<string, ulong> Publish(IReadOnlyCollection<NodeView> views);

    /// <summary>Ends the node's streams at once (node removed).</summary>
    void Disconnect(string nodeId);

    void SendRotateNow(string nodeId, string reason);

    void SendRotationReady(string nodeId, byte[] newKey);

    bool IsOnline(string nodeId);

    /// <summary>The last serial produced for the node (0 if none).</summary>
    ulong LatestSerial(string nodeId);
}
