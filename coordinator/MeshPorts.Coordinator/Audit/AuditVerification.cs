namespace MeshPorts.Coordinator.Audit;

/// <summary>Result of walking the chain: FirstBadSeq is 0 when intact.</summary>
internal sealed record AuditVerification(bool Ok, long Checked, long FirstBadSeq, string Problem);
