using MeshPorts.WireGuard.Net;

namespace MeshPorts.WireGuard.Tests.Harness;

internal sealed record Datagram(PeerEndpoint From, PeerEndpoint To, byte[] Data)
{
    public int Type => Data.Length > 0 ? Data[0] : -1;
}
