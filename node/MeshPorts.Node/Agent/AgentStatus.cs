namespace MeshPorts.Node.Agent;

/// <summary>The control-plane half of <c>meshports-node status</c>.</summary>
internal sealed record AgentStatus(
    bool Connected,
    ulong Serial,
    DateTimeOffset? KeyExpiresAt,
    DateTimeOffset? LastContact,
    string? LastError,
    int Rotations,
    int RejectedEntries);
