using System.Buffers.Binary;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Device;

/// <summary>
/// The virtual endpoints that stand for "through the relay" in the engine (docs/nat.md, Paths): a peer's
/// slot S as <c>0100::SSSS:SSSS</c> port 1, in the discard prefix 100::/64 (RFC 6666), so such an address
/// can never be a real underlay one and a datagram to it never leaves on the socket.
/// </summary>
internal static class RelayEndpoints
{
    public const ushort Port = 1;

    /// <summary>The virtual endpoint of <paramref name="slot"/> (slots start at 1).</summary>
    public static PeerEndpoint ForSlot(uint slot)
    {
        Span<byte> address = stackalloc byte[16];
        address.Clear();
        address[0] = 0x01;
        BinaryPrimitives.WriteUInt32BigEndian(address[12..], slot);
        return new PeerEndpoint(address, Port);
    }

    /// <summary>True for any address in 100::/64, whatever its port: none of them is ever sent to on the socket.</summary>
    public static bool IsVirtual(in PeerEndpoint endpoint) =>
        endpoint.IsSet && BinaryPrimitives.ReadUInt64BigEndian(endpoint.Address16) == 0x0100_0000_0000_0000UL;

    /// <summary>The slot of a virtual endpoint this device made (exact form and port); false for anything else.</summary>
    public static bool TryGetSlot(in PeerEndpoint endpoint, out uint slot)
    {
        slot = 0;
        if (!IsVirtual(endpoint) || endpoint.Port != Port || endpoint.ScopeId != 0 ||
            BinaryPrimitives.ReadUInt32BigEndian(endpoint.Address16[8..]) != 0)
        {
            return false;
        }

        slot = BinaryPrimitives.ReadUInt32BigEndian(endpoint.Address16[12..]);
        return slot != 0;
    }
}
