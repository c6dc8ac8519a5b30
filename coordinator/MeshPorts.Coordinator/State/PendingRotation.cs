namespace MeshPorts.Coordinator.State;

/// <summary>A key rotation waiting for peers: peer node id -> serial it must ack before the node may switch.</summary>
internal sealed record PendingRotation(byte[] NewKey, Dictionary<string, ulong> Waiting);
