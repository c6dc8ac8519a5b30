using MeshPorts.Contracts.Grammar;

namespace MeshPorts.Coordinator.State;

/// <summary>A flow a node must admit to one of its own ports. NotAfter is Unix ms.</summary>
internal sealed record InboundRuleView(
    string Id,
    string SourceNodeId,
    string SourceName,
    IReadOnlyList<string> SourceAddresses,
    int Port,
    PortProtocol Protocol,
    long NotAfter,
    string AllowedBy,
    PermissionSource Source);
