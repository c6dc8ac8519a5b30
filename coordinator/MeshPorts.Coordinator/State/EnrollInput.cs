using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State;

/// <summary>An enrollment request, already decoded from the wire. Source is the caller's address (for rate limiting).</summary>
internal sealed record EnrollInput(
    string Secret,
    byte[] MachineKey,
    byte[] WireGuardKey,
    string RequestedName,
    IReadOnlyList<ServiceRecord> Services,
    IReadOnlyList<string> Endpoints,
    long TimestampMs,
    byte[] Signature,
    string Source);
