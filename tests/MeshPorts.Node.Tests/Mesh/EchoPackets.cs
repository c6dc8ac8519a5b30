using System.Buffers.Binary;
using MeshPorts.Node.Tests.Filter;

namespace MeshPorts.Node.Tests.Mesh;

/// <summary>IPv4 echo replies, which the TestKit does not build.</summary>
internal static class EchoPackets
{
    public static byte[] Reply(byte[] request)
    {
        var reply = (byte[])request.Clone();
        var headerLength = (reply[0] & 0x0F) * 4;

        // Swap the addresses; the IPv4 header checksum is unchanged by a swap.
        reply.AsSpan(12, 4).CopyTo(reply.AsSpan(16, 4));
        request.AsSpan(16, 4).CopyTo(reply.AsSpan(12, 4));
        reply[headerLength] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(headerLength + 2), 0);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(headerLength + 2), FilterPackets.Checksum(reply.AsSpan(headerLength)));
        return reply;
    }
}
