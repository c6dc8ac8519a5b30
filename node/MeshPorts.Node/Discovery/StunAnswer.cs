using System.Net;

namespace MeshPorts.Node.Discovery;

/// <summary>One server's answer in a STUN round: where it saw this node's WireGuard socket, or null when it did not answer.</summary>
internal sealed record StunAnswer(IPEndPoint Server, IPEndPoint? Mapped);
