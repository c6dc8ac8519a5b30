using System.Buffers.Binary;

namespace MeshPorts.Node.Packets;

/// <summary>
/// The IPv4 (RFC 791) or IPv6 (RFC 8200) header at the start of a packet, read in place. Routing, the
/// filter and the TUN offloads all read headers through this one view, so they agree on where every
/// field is and on what is malformed, and none allocates. Each caller refuses a different set of packets
/// (a TSO super-packet's length field means nothing, an ICMP error quotes a truncated packet), so
/// <see cref="TryRead"/> checks only that the fixed header is there and the stricter checks are asked
/// for by name: <see cref="HasCompleteHeader"/>, <see cref="TryReadPacket"/>, <see cref="TryFindTransport"/>.
/// </summary>
internal readonly ref struct IpHeader
{
    public const int IPv4HeaderMin = 20;
    public const int IPv6HeaderSize = 40;

    // IPv6 extension headers (RFC 8200 section 4) that may precede the transport header.
    private const byte HopByHop = 0;
    private const byte Routing = 43;
    private const byte Fragment = 44;
    private const byte AuthenticationHeader = 51;
    private const byte DestinationOptions = 60;

    // More than this many extension headers is refused rather than walked: no real stack sends them.
    private const int MaxExtensionHeaders = 8;

    // Fields, not auto-properties: until the JIT's tier-1 inlines them, each getter is a call per packet.

    /// <summary>The bytes the view reads: the whole buffer, or after <see cref="TryReadPacket"/> just the packet.</summary>
    public readonly ReadOnlySpan<byte> Packet;

    public readonly bool IsIPv6;

    /// <summary>
    /// IPv4: the IHL in bytes as written, which may be under 20 or past the buffer until
    /// <see cref="HasCompleteHeader"/> says otherwise. IPv6: the fixed 40 bytes, extension headers not counted.
    /// </summary>
    public readonly int HeaderLength;

    // The header length is kept rather than re-derived: the filter and the coalescer ask for it several times a packet.
    private IpHeader(ReadOnlySpan<byte> packet, bool isIPv6, int headerLength)
    {
        Packet = packet;
        IsIPv6 = isIPv6;
        HeaderLength = headerLength;
    }

    public int Version => IsIPv6 ? 6 : 4;

    /// <summary>The IHL is at least 20 bytes and the buffer holds them all. Always true for IPv6 (40 bytes, and TryRead saw them).</summary>
    public bool HasCompleteHeader => (uint)(HeaderLength - IPv4HeaderMin) <= (uint)(Packet.Length - IPv4HeaderMin);

    /// <summary>The packet's length by its own header (IPv4 total length, IPv6 40 + payload length), unchecked.</summary>
    public int TotalLength => IsIPv6
        ? IPv6HeaderSize + BinaryPrimitives.ReadUInt16BigEndian(Packet[4..])
        : BinaryPrimitives.ReadUInt16BigEndian(Packet[2..]);

    /// <summary>
    /// IPv4's protocol field; IPv6's fixed next header, which may name an extension header (the offloads
    /// take only packets without them; <see cref="TryFindTransport"/> walks them).
    /// </summary>
    public byte Protocol => Packet[IsIPv6 ? 6 : 9];

    /// <summary>
    /// IPv4 more-fragments flag or a non-zero offset: the transport header may not be here. IPv6 carries
    /// fragmentation in an extension header, which <see cref="TryFindTransport"/> reports.
    /// </summary>
    public bool IsFragment => !IsIPv6 && (FlagsAndFragmentOffset & 0x3FFF) != 0;

    /// <summary>IPv4's flags and fragment offset word; 0 for IPv6.</summary>
    public ushort FlagsAndFragmentOffset => IsIPv6 ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(Packet[6..]);

    /// <summary>IPv4's identification, which each segment cut from a super-packet advances; 0 for IPv6.</summary>
    public ushort Identification => IsIPv6 ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(Packet[4..]);

    /// <summary>IPv4's TOS byte or IPv6's traffic class: DSCP and ECN.</summary>
    public byte TrafficClass => IsIPv6 ? (byte)(BinaryPrimitives.ReadUInt16BigEndian(Packet) >> 4) : Packet[1];

    /// <summary>IPv6's 20-bit flow label; 0 for IPv4.</summary>
    public int FlowLabel => IsIPv6 ? (int)(BinaryPrimitives.ReadUInt32BigEndian(Packet) & 0xFFFFF) : 0;

    /// <summary>IPv4's TTL or IPv6's hop limit.</summary>
    public byte HopLimit => Packet[IsIPv6 ? 7 : 8];

    /// <summary>The source address: 4 or 16 bytes.</summary>
    public ReadOnlySpan<byte> Source => IsIPv6 ? Packet.Slice(8, 16) : Packet.Slice(12, 4);

    /// <summary>The destination address: 4 or 16 bytes.</summary>
    public ReadOnlySpan<byte> Destination => IsIPv6 ? Packet.Slice(24, 16) : Packet.Slice(16, 4);

    /// <summary>Source then destination, adjacent in both versions, so one compare matches an address pair.</summary>
    public ReadOnlySpan<byte> Addresses => IsIPv6 ? Packet.Slice(8, 32) : Packet.Slice(12, 8);

    /// <summary>
    /// True for version 4 with at least 20 bytes or version 6 with at least 40: every fixed field above
    /// can be read. Nothing else is checked.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out IpHeader header)
    {
        header = default;
        if (packet.IsEmpty)
        {
            return false;
        }

        var version = packet[0] >> 4;
        if (version == 4)
        {
            if (packet.Length < IPv4HeaderMin)
            {
                return false;
            }

            header = new IpHeader(packet, false, (packet[0] & 0x0F) * 4);
            return true;
        }

        if (version != 6 || packet.Length < IPv6HeaderSize)
        {
            return false;
        }

        header = new IpHeader(packet, true, IPv6HeaderSize);
        return true;
    }

    /// <summary>
    /// As <see cref="TryRead"/>, and also the IHL is at least 20 bytes and the length the header declares
    /// fits the buffer; the view is then cut to that length, dropping what follows (WireGuard's padding).
    /// The IHL is not checked against the declared length here; <see cref="HasCompleteHeader"/> does that.
    /// </summary>
    public static bool TryReadPacket(ReadOnlySpan<byte> packet, out IpHeader header)
    {
        if (!TryRead(packet, out var whole))
        {
            header = default;
            return false;
        }

        var length = whole.TotalLength;
        if (whole.HeaderLength < IPv4HeaderMin || (uint)(length - IPv4HeaderMin) > (uint)(packet.Length - IPv4HeaderMin))
        {
            header = default;
            return false;
        }

        header = new IpHeader(packet[..length], whole.IsIPv6, whole.HeaderLength);
        return true;
    }

    /// <summary>The packet's length by its own header, or -1 when <see cref="TryReadPacket"/> refuses it.</summary>
    public static int DeclaredLength(ReadOnlySpan<byte> packet) => TryReadPacket(packet, out var header) ? header.Packet.Length : -1;

    /// <summary>
    /// Finds the transport header: for IPv4 after the IHL, which must be complete; for IPv6 after any
    /// hop-by-hop, routing, destination options and authentication headers. A fragment (IPv4 flags, or an
    /// IPv6 fragment header, whose number is then the protocol) sets <paramref name="isFragment"/>, and
    /// the transport header may then be elsewhere. False when the header or the chain is malformed,
    /// longer than <see cref="MaxExtensionHeaders"/>, or runs past the buffer.
    /// </summary>
    public bool TryFindTransport(out byte protocol, out int offset, out bool isFragment)
    {
        if (!IsIPv6)
        {
            protocol = Packet[9];
            offset = HeaderLength;
            isFragment = (BinaryPrimitives.ReadUInt16BigEndian(Packet[6..]) & 0x3FFF) != 0;
            return HasCompleteHeader;
        }

        var packet = Packet;
        var next = packet[6];
        offset = IPv6HeaderSize;
        for (var i = 0; ; i++)
        {
            if (next is not (HopByHop or Routing or DestinationOptions or AuthenticationHeader))
            {
                protocol = next;
                isFragment = next == Fragment;
                return true;
            }

            if (i == MaxExtensionHeaders || offset + 8 > packet.Length)
            {
                break;
            }

            // Lengths count 8-byte units after the first 8; AH's count 4-byte units after the first 8 (RFC 4302).
            var size = next == AuthenticationHeader ? (packet[offset + 1] + 2) * 4 : (packet[offset + 1] + 1) * 8;
            next = packet[offset];
            offset += size;
            if (offset > packet.Length)
            {
                break;
            }
        }

        protocol = next;
        isFragment = false;
        return false;
    }
}
