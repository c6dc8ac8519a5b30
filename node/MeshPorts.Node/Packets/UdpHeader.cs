using System.Buffers.Binary;

namespace MeshPorts.Node.Packets;

/// <summary>A UDP header (RFC 768) read in place: its ports and the length it declares.</summary>
internal readonly ref struct UdpHeader
{
    public const int Size = 8;

    /// <summary>The header and whatever payload the buffer holds.</summary>
    public readonly ReadOnlySpan<byte> Datagram;

    private UdpHeader(ReadOnlySpan<byte> datagram) => Datagram = datagram;

    public ushort SourcePort => TransportPorts.Source(Datagram);

    public ushort DestinationPort => TransportPorts.Destination(Datagram);

    /// <summary>Header and payload, as declared; at least 8 and no more than the buffer after <see cref="TryRead"/>.</summary>
    public int Length => BinaryPrimitives.ReadUInt16BigEndian(Datagram[4..]);

    /// <summary>
    /// True when <paramref name="datagram"/> holds the 8-byte header and the length it declares covers the
    /// header and fits the buffer. Trailing bytes past that length are allowed, as IP allows them.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out UdpHeader header)
    {
        if (datagram.Length < Size || (uint)(BinaryPrimitives.ReadUInt16BigEndian(datagram[4..]) - Size) > (uint)(datagram.Length - Size))
        {
            header = default;
            return false;
        }

        header = new UdpHeader(datagram);
        return true;
    }
}
