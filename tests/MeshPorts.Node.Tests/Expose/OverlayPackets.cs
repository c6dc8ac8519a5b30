using System.Buffers.Binary;
using System.Net;

namespace MeshPorts.Node.Tests.Expose;

/// <summary>Builds and reads the IPv4 TCP/UDP packets a peer would send through the tunnel (RFC 791, 793, 768).</summary>
internal static class OverlayPackets
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;

    private const int Ipv4HeaderLength = 20;
    private const int Ipv6HeaderLength = 40;
    private const int TcpHeaderLength = 20;
    private const int UdpHeaderLength = 8;

    public static byte[] Tcp(IPAddress source, ushort sourcePort, IPAddress destination, ushort destinationPort, uint seq, uint ack, byte flags, ReadOnlySpan<byte> payload = default)
    {
        var header = HeaderLength(source);
        var packet = new byte[header + TcpHeaderLength + payload.Length];
        WriteIpHeader(packet, source, destination, protocol: 6);
        var tcp = packet.AsSpan(header);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], ack);
        tcp[12] = TcpHeaderLength / 4 << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        payload.CopyTo(tcp[TcpHeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], TransportChecksum(packet, header, 6));
        return packet;
    }

    public static byte[] Udp(IPAddress source, ushort sourcePort, IPAddress destination, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        var header = HeaderLength(source);
        var packet = new byte[header + UdpHeaderLength + payload.Length];
        WriteIpHeader(packet, source, destination, protocol: 17);
        var udp = packet.AsSpan(header);
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(UdpHeaderLength + payload.Length));
        payload.CopyTo(udp[UdpHeaderLength..]);
        var checksum = TransportChecksum(packet, header, 17);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], checksum == 0 ? (ushort)0xffff : checksum);
        return packet;
    }

    /// <summary>Reads an IPv4 or IPv6 packet of <paramref name="protocol"/>; false for anything else (ICMP, MLD, router solicitations...).</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, byte protocol, out Segment segment)
    {
        segment = default;
        ReadOnlySpan<byte> transport;
        IPAddress source, destination;
        if (packet.Length >= Ipv4HeaderLength && packet[0] >> 4 == 4 && packet[9] == protocol)
        {
            var ihl = (packet[0] & 0xf) * 4;
            transport = packet[ihl..BinaryPrimitives.ReadUInt16BigEndian(packet[2..])];
            source = new IPAddress(packet.Slice(12, 4));
            destination = new IPAddress(packet.Slice(16, 4));
        }
        else if (packet.Length >= Ipv6HeaderLength && packet[0] >> 4 == 6 && packet[6] == protocol)
        {
            transport = packet.Slice(Ipv6HeaderLength, BinaryPrimitives.ReadUInt16BigEndian(packet[4..]));
            source = new IPAddress(packet.Slice(8, 16));
            destination = new IPAddress(packet.Slice(24, 16));
        }
        else
        {
            return false;
        }

        var sourcePort = BinaryPrimitives.ReadUInt16BigEndian(transport);
        var destinationPort = BinaryPrimitives.ReadUInt16BigEndian(transport[2..]);
        if (protocol == 6)
        {
            var dataOffset = (transport[12] >> 4) * 4;
            segment = new Segment(
                source,
                sourcePort,
                destination,
                destinationPort,
                BinaryPrimitives.ReadUInt32BigEndian(transport[4..]),
                BinaryPrimitives.ReadUInt32BigEndian(transport[8..]),
                transport[13],
                transport[dataOffset..].ToArray());
        }
        else
        {
            segment = new Segment(source, sourcePort, destination, destinationPort, 0, 0, 0, transport[UdpHeaderLength..].ToArray());
        }

        return true;
    }

    private static int HeaderLength(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? Ipv6HeaderLength : Ipv4HeaderLength;

    private static void WriteIpHeader(Span<byte> packet, IPAddress source, IPAddress destination, byte protocol)
    {
        if (HeaderLength(source) == Ipv6HeaderLength)
        {
            // RFC 8200 section 3: version 6, no traffic class or flow label.
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)(packet.Length - Ipv6HeaderLength));
            packet[6] = protocol;
            packet[7] = 64;
            source.TryWriteBytes(packet[8..], out _);
            destination.TryWriteBytes(packet[24..], out _);
            return;
        }

        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)Random.Shared.Next(ushort.MaxValue));
        BinaryPrimitives.WriteUInt16BigEndian(packet[6..], 0x4000);
        packet[8] = 64;
        packet[9] = protocol;
        source.TryWriteBytes(packet[12..], out _);
        destination.TryWriteBytes(packet[16..], out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], Checksum(packet[..Ipv4HeaderLength], 0));
    }

    private static ushort TransportChecksum(ReadOnlySpan<byte> packet, int header, byte protocol)
    {
        // Pseudo-header: source, destination, protocol and transport length (RFC 793 section 3.1, RFC 8200 section 8.1).
        var length = packet.Length - header;
        var addresses = header == Ipv6HeaderLength ? packet.Slice(8, 32) : packet.Slice(12, 8);
        var sum = Add(0, addresses);
        sum += protocol;
        sum += (uint)length;
        return Checksum(packet[header..], sum);
    }

    private static ushort Checksum(ReadOnlySpan<byte> data, uint sum)
    {
        sum = Add(sum, data);
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    private static uint Add(uint sum, ReadOnlySpan<byte> data)
    {
        var i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (uint)(data[i] << 8);
        }

        return sum;
    }
}
