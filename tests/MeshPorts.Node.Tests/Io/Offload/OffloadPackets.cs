using System.Buffers.Binary;
using System.Net;
using MeshPorts.Native.Linux;

namespace MeshPorts.Node.Tests.Io.Offload;

/// <summary>How a hand-built packet's transport checksum field is filled.</summary>
internal enum ChecksumMode
{
    /// <summary>A correct, complemented checksum.</summary>
    Full,

    /// <summary>The folded pseudo-header sum, not complemented (the kernel's CHECKSUM_PARTIAL).</summary>
    Partial,

    /// <summary>A correct checksum with one bit flipped.</summary>
    Broken,
}

/// <summary>
/// Hand-built IPv4/IPv6 TCP and UDP packets for the offload tests, and a slow reference checksum
/// (16-bit big-endian words with an end-around carry at every step) that shares no code with
/// the production checksum.
/// </summary>
internal static class OffloadPackets
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;
    public const byte Urg = 0x20;
    public const byte Ece = 0x40;
    public const byte Cwr = 0x80;

    public static readonly byte[] Src4 = [10, 77, 0, 1];
    public static readonly byte[] Dst4 = [10, 77, 200, 9];
    public static readonly byte[] Src6 = IPAddress.Parse("fd7a:115c:a1e0::1").GetAddressBytes();
    public static readonly byte[] Dst6 = IPAddress.Parse("fd7a:115c:a1e0:ab12::2:fe").GetAddressBytes();

    /// <summary>NOP, NOP, timestamps: 12 option bytes, so the TCP header is 32 bytes (doff 8).</summary>
    public static byte[] Timestamps(uint value, uint echo)
    {
        var options = new byte[12];
        options[0] = 1;
        options[1] = 1;
        options[2] = 8;
        options[3] = 10;
        BinaryPrimitives.WriteUInt32BigEndian(options.AsSpan(4), value);
        BinaryPrimitives.WriteUInt32BigEndian(options.AsSpan(8), echo);
        return options;
    }

    /// <summary>The reference sum: big-endian 16-bit words, an odd last byte padded with zero.</summary>
    public static uint RefSum(ReadOnlySpan<byte> data, uint sum = 0)
    {
        for (var i = 0; i < data.Length; i += 2)
        {
            var word = (uint)(data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0u);
            sum += word;
            if (sum > 0xFFFF)
            {
                sum = (sum & 0xFFFF) + 1;
            }
        }

        return sum;
    }

    /// <summary>The pseudo-header as bytes (RFC 9293 / RFC 8200), summed with the reference sum.</summary>
    public static uint RefPseudo(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int length)
    {
        var bytes = new List<byte>();
        bytes.AddRange(source.ToArray());
        bytes.AddRange(destination.ToArray());
        if (source.Length == 4)
        {
            bytes.Add(0);
            bytes.Add(protocol);
            bytes.Add((byte)(length >> 8));
            bytes.Add((byte)length);
        }
        else
        {
            bytes.Add((byte)(length >> 24));
            bytes.Add((byte)(length >> 16));
            bytes.Add((byte)(length >> 8));
            bytes.Add((byte)length);
            bytes.AddRange(new byte[] { 0, 0, 0, protocol });
        }

        return RefSum(bytes.ToArray());
    }

    public static bool IsV6(ReadOnlySpan<byte> packet) => packet[0] >> 4 == 6;

    public static int IpHeaderLength(ReadOnlySpan<byte> packet) => IsV6(packet) ? 40 : (packet[0] & 0x0F) * 4;

    public static byte Protocol(ReadOnlySpan<byte> packet) => IsV6(packet) ? packet[6] : packet[9];

    public static byte[] Source(ReadOnlySpan<byte> packet) => IsV6(packet) ? packet.Slice(8, 16).ToArray() : packet.Slice(12, 4).ToArray();

    public static byte[] Destination(ReadOnlySpan<byte> packet) => IsV6(packet) ? packet.Slice(24, 16).ToArray() : packet.Slice(16, 4).ToArray();

    /// <summary>The pseudo-header sum for the packet's own transport length.</summary>
    public static uint RefPseudoOf(ReadOnlySpan<byte> packet)
    {
        var ip = IpHeaderLength(packet);
        return RefPseudo(Source(packet), Destination(packet), Protocol(packet), packet.Length - ip);
    }

    /// <summary>True when pseudo-header plus transport (checksum field included) sums to all ones.</summary>
    public static bool TransportChecksumValid(ReadOnlySpan<byte> packet)
    {
        var ip = IpHeaderLength(packet);
        return RefSum(packet[ip..], RefPseudoOf(packet)) == 0xFFFF;
    }

    public static bool Ipv4HeaderChecksumValid(ReadOnlySpan<byte> packet) => RefSum(packet[..IpHeaderLength(packet)]) == 0xFFFF;

    public static int TcpHeaderLength(ReadOnlySpan<byte> packet) => (packet[IpHeaderLength(packet) + 12] >> 4) * 4;

    public static byte[] TcpPayload(ReadOnlySpan<byte> packet) => packet[(IpHeaderLength(packet) + TcpHeaderLength(packet))..].ToArray();

    public static uint Sequence(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[(IpHeaderLength(packet) + 4)..]);

    public static uint Acknowledgment(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[(IpHeaderLength(packet) + 8)..]);

    public static byte TcpFlags(ReadOnlySpan<byte> packet) => packet[IpHeaderLength(packet) + 13];

    public static ushort TransportChecksumField(ReadOnlySpan<byte> packet) =>
        BinaryPrimitives.ReadUInt16BigEndian(packet[(IpHeaderLength(packet) + (Protocol(packet) == 6 ? 16 : 6))..]);

    public static ushort Ipv4Id(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);

    public static ushort SourcePort(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[IpHeaderLength(packet)..]);

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The virtio header a TUN with TSO puts before a TCP super-packet.</summary>
    public static VirtioNetHeader Tso(bool v6, int gsoSize, int headerLength) => new()
    {
        Flags = VirtioNetHeader.FlagNeedsChecksum,
        GsoType = v6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4,
        HeaderLength = (ushort)headerLength,
        GsoSize = (ushort)gsoSize,
        ChecksumStart = (ushort)(v6 ? 40 : 20),
        ChecksumOffset = 16,
    };

    /// <summary>The virtio header a TUN with USO puts before a UDP super-packet.</summary>
    public static VirtioNetHeader Uso(int gsoSize, int ip) => new()
    {
        Flags = VirtioNetHeader.FlagNeedsChecksum,
        GsoType = VirtioNetHeader.GsoUdpL4,
        HeaderLength = (ushort)(ip + 8),
        GsoSize = (ushort)gsoSize,
        ChecksumStart = (ushort)ip,
        ChecksumOffset = 6,
    };

    public static byte[] Tcp(
        bool v6,
        uint sequence,
        uint acknowledgment,
        byte flags,
        ReadOnlySpan<byte> options,
        ReadOnlySpan<byte> payload,
        ushort id = 0x4321,
        ushort sourcePort = 40123,
        ushort destinationPort = 443,
        ChecksumMode checksum = ChecksumMode.Full)
    {
        Assert.Equal(0, options.Length % 4);
        var tcp = new byte[20 + options.Length + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), acknowledgment);
        tcp[12] = (byte)((20 + options.Length) / 4 << 4);
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 501);
        options.CopyTo(tcp.AsSpan(20));
        payload.CopyTo(tcp.AsSpan(20 + options.Length));
        return Wrap(v6, 6, tcp, 16, id, checksum);
    }

    public static byte[] Udp(
        bool v6,
        ReadOnlySpan<byte> payload,
        ushort id = 0x0777,
        ushort sourcePort = 51820,
        ushort destinationPort = 4500,
        ChecksumMode checksum = ChecksumMode.Full)
    {
        var udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp.AsSpan(8));
        return Wrap(v6, 17, udp, 6, id, checksum);
    }

    /// <summary>Puts an IP header in front of a transport header and payload and fills in the checksums.</summary>
    public static byte[] Wrap(bool v6, byte protocol, ReadOnlySpan<byte> transport, int checksumAt, ushort id, ChecksumMode checksum)
    {
        var ip = v6 ? 40 : 20;
        var packet = new byte[ip + transport.Length];
        if (v6)
        {
            packet[0] = 0x60;
            packet[1] = 0x0A; // a traffic class and a flow label, both must survive
            packet[2] = 0xBC;
            packet[3] = 0xDE;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)transport.Length);
            packet[6] = protocol;
            packet[7] = 61;
            Src6.CopyTo(packet, 8);
            Dst6.CopyTo(packet, 24);
        }
        else
        {
            packet[0] = 0x45;
            packet[1] = 0x02;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), id);
            packet[6] = 0x40; // DF
            packet[8] = 63;
            packet[9] = protocol;
            Src4.CopyTo(packet, 12);
            Dst4.CopyTo(packet, 16);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), (ushort)~RefSum(packet.AsSpan(0, 20)));
        }

        transport.CopyTo(packet.AsSpan(ip));
        var at = ip + checksumAt;
        packet[at] = 0;
        packet[at + 1] = 0;
        var pseudo = RefPseudo(Source(packet), Destination(packet), protocol, transport.Length);
        var value = checksum switch
        {
            ChecksumMode.Partial => (ushort)pseudo,
            ChecksumMode.Broken => (ushort)(~RefSum(packet.AsSpan(ip), pseudo) ^ 0x0100),
            _ => (ushort)~RefSum(packet.AsSpan(ip), pseudo),
        };
        if (protocol == 17 && checksum == ChecksumMode.Full && value == 0)
        {
            value = 0xFFFF;
        }

        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), value);
        return packet;
    }
}
