namespace MeshPorts.Coordinator.Audit;

/// <summary>
/// Result of walking the chain: FirstBadSeq is 0 when intact. LastSeq and LastHash are the last event found intact
/// (0 and the genesis hash when none), where a later walk can go on from.
/// </summary>
internal sealed record AuditVerification(bool Ok, long Checked, long FirstBadSeq, string Problem, long LastSeq = 0, string LastHash = "");
