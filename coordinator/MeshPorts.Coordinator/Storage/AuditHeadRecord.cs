namespace MeshPorts.Coordinator.Storage;

/// <summary>The chain's head as signed by the coordinator: the last event's seq and hash (hex), when it was signed (Unix ms), and the Ed25519 signature.</summary>
internal sealed record AuditHeadRecord(long Seq, string Hash, long Time, byte[] Signature);
