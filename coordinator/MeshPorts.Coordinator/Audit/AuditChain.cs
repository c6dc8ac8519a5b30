using MeshPorts.Contracts.Audit;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.Audit;

/// <summary>
/// The hash chain over stored records; the format itself is <see cref="AuditHashChain"/>, shared with meshctl
/// so it recomputes exactly what was stored.
/// </summary>
internal static class AuditChain
{
    public static readonly string Genesis = AuditHashChain.Genesis;

    public static byte[] Canonical(AuditRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return AuditHashChain.Canonical(r.Seq, r.Time, r.Kind, r.Actor, r.Subject, r.Outcome, r.Details);
    }

    public static string ComputeHash(string prevHash, AuditRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return AuditHashChain.Compute(prevHash, r.Seq, r.Time, r.Kind, r.Actor, r.Subject, r.Outcome, r.Details);
    }
}
