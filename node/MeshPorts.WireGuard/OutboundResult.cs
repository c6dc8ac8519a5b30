using MeshPorts.WireGuard.Net;

namespace MeshPorts.WireGuard;

public readonly record struct OutboundResult(OutboundAction Action, int Length, PeerEndpoint Endpoint, DropReason Reason);
