using System.Buffers.Binary;

namespace MeshPorts.Node.Packets;

/// <summary>Just enough IPv4/IPv6 header reading for cryptokey routing. No allocation.</summary>
internal static class IpPacket
{
    public const int IPv4HeaderMin = 20;
    public const int IPv6HeaderSize = 40;

    public static int Version(ReadOnlySpan<byte> packet) => packet.IsEmpty ? 0 : packet[0] >> 4;

    /// <summary>
    /// The packet's length according to its own header, or -1 when the header is malformed or claims
    /// more bytes than there are. Decrypted packets carry WireGuard's padding after this length.
    /// </summary>
    public static int DeclaredLength(ReadOnlySpan<byte> packet)
    {
        switch (Version(packet))
        {
            case 4:
                if (packet.Length < IPv4HeaderMin || (packet[0] & 0x0F) < 5)
                {
                    return -1;
                }

                int total = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
                return total >= IPv4HeaderMin && total <= packet.Length ? total : -1;
            case 6:
                if (packet.Length < IPv6HeaderSize)
                {
                    return -1;
                }

                var length = IPv6HeaderSize + BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
                return length <= packet.Length ? length : -1;
            default:
                return -1;
        }
    }

    /// <summary>The destination address (4 or 16 bytes), or empty for a packet too short to carry one.</summary>
    public static ReadOnlySpan<byte> Destination(ReadOnlySpan<byte> packet) => Version(packet) switch
    {
        4 when packet.Length >= IPv4HeaderMin => packet.Slice(16, 4),
        6 when packet.Length >= IPv6HeaderSize => packet.Slice(24, 16),
        _ => default,
    };

    /// <summary>The source address (4 or 16 bytes), or empty for a packet too short to carry one.</summary>
    public static ReadOnlySpan<byte> Source(ReadOnlySpan<byte> packet) => Version(packet) switch
    {
        4 when packet.Length >= IPv4HeaderMin => packet.Slice(12, 4),
        6 when packet.Length >= IPv6HeaderSize => packet.Slice(8, 16),
        _ => default,
    };
}
