using MeshPorts.Node.StateDirectory;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Coordinator;

/// <summary>
/// What <see cref="NodeEnrollment.EnsureEnrolledAsync"/> hands the daemon. The daemon owns (and disposes)
/// <see cref="Machine"/>. When <see cref="EnrollmentRecord.IsComplete"/> is false (crash recovery), complete the
/// record from the first snapshot: <c>store.SaveEnrollment(record.CompleteFrom(snapshot.Self))</c>.
/// </summary>
internal sealed record EnrolledIdentity(EnrollmentRecord Record, MachineKey Machine, WgKey WireGuardKey);
