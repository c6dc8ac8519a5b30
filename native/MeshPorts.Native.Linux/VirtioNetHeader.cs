using System.Buffers.Binary;

namespace MeshPorts.Native.Linux;

/// <summary>
/// struct virtio_net_hdr from &lt;linux/virtio_net.h&gt;: the 10 bytes before every packet on a TUN
/// opened with IFF_VNET_HDR. The TUN driver uses the host's byte order for the 16-bit fields on a
/// little-endian host (virtio legacy), which is every host this runs on.
/// </summary>
public struct VirtioNetHeader
{
    public const int Size = 10;

    public const byte FlagNeedsChecksum = 1;
    public const byte FlagDataValid = 2;

    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoUdp = 3;
    public const byte GsoTcpV6 = 4;

    /// <summary>UDP segmentation (USO), Linux 6.2; newer than the installed headers.</summary>
    public const byte GsoUdpL4 = 5;
    public const byte GsoEcn = 0x80;

    public byte Flags { get; set; }
    public byte GsoType { get; set; }

    /// <summary>Length of the IP and transport headers (a hint; the packet's own headers decide).</summary>
    public ushort HeaderLength { get; set; }

    /// <summary>Payload bytes per segment of a super-packet.</summary>
    public ushort GsoSize { get; set; }

    /// <summary>Where the checksum to be finished starts (the transport header).</summary>
    public ushort ChecksumStart { get; set; }

    /// <summary>Offset of the checksum field from <see cref="ChecksumStart"/> (16 for TCP, 6 for UDP).</summary>
    public ushort ChecksumOffset { get; set; }

    public static VirtioNetHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException($"A virtio_net_hdr is {Size} bytes; got {source.Length}.", nameof(source));
        }

        return new VirtioNetHeader
        {
            Flags = source[0],
            GsoType = source[1],
            HeaderLength = BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
            GsoSize = BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
            ChecksumStart = BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
            ChecksumOffset = BinaryPrimitives.ReadUInt16LittleEndian(source[8..]),
        };
    }

    public readonly void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"A virtio_net_hdr is {Size} bytes; got {destination.Length}.", nameof(destination));
        }

        destination[0] = Flags;
        destination[1] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], ChecksumOffset);
    }
}
