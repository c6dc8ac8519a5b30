using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.State.Access;

namespace MeshPorts.Coordinator.State.Netmaps;

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
