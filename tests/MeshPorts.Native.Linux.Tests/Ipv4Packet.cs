using System.Buffers.Binary;
using System.Net;

namespace MeshPorts.Native.Linux.Tests;

/// <summary>Just enough IPv4/UDP to hand-craft packets for the TUN and to recognise the kernel's.</summary>
internal static class Ipv4Packet
{
    public const int HeaderLength = 20;
    public const int UdpHeaderLength = 8;

    /// <summary>An IPv4/UDP packet with a valid header checksum and UDP checksum 0 (allowed for IPv4, RFC 768).</summary>
    public static byte[] Udp(IPAddress source, ushort sourcePort, IPAddress destination, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        var packet = new byte[HeaderLength + UdpHeaderLength + payload.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 17;
        source.TryWriteBytes(packet.AsSpan(12, 4), out _);
        destination.TryWriteBytes(packet.AsSpan(16, 4), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), HeaderChecksum(packet.AsSpan(0, HeaderLength)));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), (ushort)(UdpHeaderLength + payload.Length));
        payload.CopyTo(packet.AsSpan(HeaderLength + UdpHeaderLength));
        return packet;
    }

    public static ushort HeaderChecksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (var i = 0; i < header.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    /// <summary>True if <paramref name="packet"/> is IPv4/UDP to <paramref name="destination"/> carrying <paramref name="payload"/>.</summary>
    public static bool IsUdpTo(ReadOnlySpan<byte> packet, IPAddress destination, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        if (packet.Length < HeaderLength + UdpHeaderLength || packet[0] >> 4 != 4 || packet[9] != 17)
        {
            return false;
        }

        var ihl = (packet[0] & 0xF) * 4;
        return new IPAddress(packet.Slice(16, 4)).Equals(destination)
            && BinaryPrimitives.ReadUInt16BigEndian(packet[(ihl + 2)..]) == destinationPort
            && packet[(ihl + UdpHeaderLength)..].SequenceEqual(payload);
    }

    /// <summary>Sets the UDP checksum of an IPv4/UDP packet (no options) to the correct value.</summary>
    public static void SetUdpChecksum(Span<byte> packet)
    {
        packet[26] = 0;
        packet[27] = 0;
        var sum = Fold(PseudoHeaderSum(packet) + Sum(packet[HeaderLength..]));
        var check = (ushort)~sum;
        BinaryPrimitives.WriteUInt16BigEndian(packet[26..], check == 0 ? (ushort)0xFFFF : check);
    }

    /// <summary>
    /// What a CHECKSUM_PARTIAL sender leaves in the UDP checksum field: the folded pseudo-header
    /// sum, not complemented, for the reader (or the kernel's segmentation) to finish.
    /// </summary>
    public static void SetPartialUdpChecksum(Span<byte> packet) =>
        BinaryPrimitives.WriteUInt16BigEndian(packet[26..], (ushort)Fold(PseudoHeaderSum(packet)));

    /// <summary>Does what VIRTIO_NET_HDR_F_NEEDS_CSUM asks: sums from csum_start to the end and stores the complement.</summary>
    public static void FinishChecksum(Span<byte> packet, int checksumStart, int checksumOffset)
    {
        var check = (ushort)~Fold(Sum(packet[checksumStart..]));
        BinaryPrimitives.WriteUInt16BigEndian(packet[(checksumStart + checksumOffset)..], check);
    }

    /// <summary>True if the IPv4/UDP packet's UDP checksum verifies (0 = none, also accepted for IPv4).</summary>
    public static bool UdpChecksumIsValid(ReadOnlySpan<byte> packet) =>
        BinaryPrimitives.ReadUInt16BigEndian(packet[26..]) == 0
        || Fold(PseudoHeaderSum(packet) + Sum(packet[HeaderLength..])) == 0xFFFF;

    /// <summary>
    /// An IPv4/TCP SYN-ACK (no options but MSS) from <paramref name="source"/> answering a SYN, with valid checksums.
    /// </summary>
    public static byte[] TcpSynAck(IPAddress source, ushort sourcePort, IPAddress destination, ushort destinationPort, uint sequence, uint acknowledgment, ushort mss)
    {
        const int TcpLength = 24;
        var packet = new byte[HeaderLength + TcpLength];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 6;
        source.TryWriteBytes(packet.AsSpan(12, 4), out _);
        destination.TryWriteBytes(packet.AsSpan(16, 4), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), HeaderChecksum(packet.AsSpan(0, HeaderLength)));
        var tcp = packet.AsSpan(HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], acknowledgment);
        tcp[12] = (TcpLength / 4) << 4;
        tcp[13] = 0x12; // SYN | ACK
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        tcp[20] = 2; // MSS option
        tcp[21] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[22..], mss);
        var sum = Fold(Sum(packet.AsSpan(12, 8)) + 6 + TcpLength + Sum(tcp));
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], (ushort)~sum);
        return packet;
    }

    private static uint PseudoHeaderSum(ReadOnlySpan<byte> packet) =>
        Sum(packet.Slice(12, 8)) + 17 + (uint)(packet.Length - HeaderLength);

    private static uint Sum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        var i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }

        return sum;
    }

    private static uint Fold(uint sum)
    {
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return sum;
    }
}
