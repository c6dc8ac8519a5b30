using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Paths;

/// <summary>A ping in flight: only a pong with its transaction id, from its target, counts.</summary>
internal readonly record struct PendingPing(string NodeId, PeerEndpoint Target, TimeSpan SentAt);
