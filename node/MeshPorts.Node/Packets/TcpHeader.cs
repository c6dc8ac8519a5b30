using System.Buffers.Binary;

namespace MeshPorts.Node.Packets;

/// <summary>
/// A TCP header (RFC 9293 section 3.1) read in place, for the filter's flow tracking and the offloads'
/// segmenting and merging. <see cref="TryRead"/> is the one place that decides a header is whole, so
/// the filter refuses and the offloads pass by exactly the same rule.
/// </summary>
internal readonly ref struct TcpHeader
{
    public const int MinLength = 20;

    /// <summary>The whole segment: header, options and payload.</summary>
    public readonly ReadOnlySpan<byte> Segment;

    private TcpHeader(ReadOnlySpan<byte> segment) => Segment = segment;

    public ushort SourcePort => TransportPorts.Source(Segment);

    public ushort DestinationPort => TransportPorts.Destination(Segment);

    public uint Sequence => BinaryPrimitives.ReadUInt32BigEndian(Segment[4..]);

    public uint Acknowledgment => BinaryPrimitives.ReadUInt32BigEndian(Segment[8..]);

    /// <summary>The data offset in bytes: the fixed 20 and the options.</summary>
    public int HeaderLength => (Segment[12] >> 4) * 4;

    /// <summary>The flag bits (<see cref="IpProtocol.TcpFin"/> and the rest).</summary>
    public byte Flags => Segment[13];

    /// <summary>The options, compared byte for byte when segments are merged.</summary>
    public ReadOnlySpan<byte> Options => Segment[MinLength..HeaderLength];

    /// <summary>The payload bytes, which advance the sequence space together with SYN and FIN.</summary>
    public int PayloadLength => Segment.Length - HeaderLength;

    /// <summary>True when <paramref name="segment"/> holds 20 bytes and a data offset of at least 20 that fits in it.</summary>
    public static bool TryRead(ReadOnlySpan<byte> segment, out TcpHeader header)
    {
        if (segment.Length < MinLength || (uint)(((segment[12] >> 4) * 4) - MinLength) > (uint)(segment.Length - MinLength))
        {
            header = default;
            return false;
        }

        header = new TcpHeader(segment);
        return true;
    }
}
