using MeshPorts.Ctl.Api;

namespace MeshPorts.Ctl.Audit;

/// <summary>What <see cref="AuditVerifier"/> found: Checked events recomputed; on success the head that now covers them.</summary>
internal sealed record AuditCheck(bool Ok, ulong Checked, ulong? FirstBadSeq, string? Problem, AuditHeadView? Head);
