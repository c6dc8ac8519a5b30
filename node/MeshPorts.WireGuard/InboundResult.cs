namespace MeshPorts.WireGuard;

public readonly record struct InboundResult(InboundAction Action, int Length, Peer? Peer, DropReason Reason);
