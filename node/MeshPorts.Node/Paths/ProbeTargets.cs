using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Paths;

/// <summary>Which underlay addresses a probe (or a pong) may be sent to.</summary>
internal static class ProbeTargets
{
    /// <summary>
    /// False for the relay's virtual endpoints (100::/64, RFC 6666), multicast, broadcast, unspecified
    /// addresses and port 0: candidates come from other nodes, and none of these is a peer's socket.
    /// </summary>
    public static bool IsAllowed(in PeerEndpoint endpoint)
    {
        if (!endpoint.IsSet || endpoint.Port == 0)
        {
            return false;
        }

        var a = endpoint.Address16;
        if (endpoint.IsIPv4)
        {
            var v4 = a[12..];
            return v4[0] != 0 && v4[0] < 224 && !v4.SequenceEqual((ReadOnlySpan<byte>)[255, 255, 255, 255]);
        }

        if (a[0] == 0xFF || !a.ContainsAnyExcept((byte)0))
        {
            return false;
        }

        // 100::/64: the first 8 bytes are 01 00 00 00 00 00 00 00.
        return !(a[0] == 0x01 && !a[1..8].ContainsAnyExcept((byte)0));
    }
}
