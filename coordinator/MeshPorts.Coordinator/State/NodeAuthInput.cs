namespace MeshPorts.Coordinator.State;

/// <summary>A node's proof of possession for one call (see NodeAuth in node.proto).</summary>
internal sealed record NodeAuthInput(byte[] MachineKey, byte[] Nonce, long TimestampMs, byte[] Signature);
