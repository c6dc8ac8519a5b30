using MeshPorts.Contracts.Grammar;

namespace MeshPorts.Coordinator.State.Policy;

/// <summary>Standing access: <c>rule NAME: FROM -> TARGET:PORT/PROTO</c>.</summary>
internal sealed record PolicyRule(string Name, Subject From, Subject To, int Port, PortProtocol Protocol, int Line);
