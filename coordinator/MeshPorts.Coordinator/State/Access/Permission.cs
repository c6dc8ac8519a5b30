using MeshPorts.Contracts.Grammar;

namespace MeshPorts.Coordinator.State.Access;

/// <summary>
/// One concrete allowance: node <paramref name="SourceId"/> may reach <paramref name="Port"/>/<paramref name="Protocol"/>
/// on node <paramref name="TargetId"/> until <paramref name="Until"/> (Unix ms; null = standing rule).
/// <paramref name="Source"/> says whether a policy rule or a grant gave it.
/// </summary>
internal readonly record struct Permission(string SourceId, string TargetId, int Port, PortProtocol Protocol, long? Until, string AllowedBy,
    PermissionSource Source);
