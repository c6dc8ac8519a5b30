using MeshPorts.Coordinator.State.Policy;

namespace MeshPorts.Coordinator.State;

/// <summary>Outcome of policy apply/test. Ok = no errors and every test passed (and, for apply, it is live).</summary>
internal sealed record PolicyResult(bool Ok, IReadOnlyList<PolicyError> Errors, IReadOnlyList<PolicyTestOutcome> Tests, int RuleCount, string Sha256);
