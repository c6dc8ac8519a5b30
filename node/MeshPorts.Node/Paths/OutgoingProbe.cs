using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Paths;

/// <summary>A sealed ping waiting to be sent once the path manager's lock is released.</summary>
internal readonly record struct OutgoingProbe(byte[] Datagram, PeerEndpoint Destination);
