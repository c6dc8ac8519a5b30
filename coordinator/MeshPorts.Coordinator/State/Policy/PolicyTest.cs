using MeshPorts.Contracts.Grammar;

namespace MeshPorts.Coordinator.State.Policy;

/// <summary>An assertion: <c>test allow|deny FROM -> TARGET:PORT/PROTO [at TIME]</c>. At is Unix ms or null for "now".</summary>
internal sealed record PolicyTest(int Line, string Text, bool ExpectAllow, Subject From, Subject To, int Port, PortProtocol Protocol, long? At);
