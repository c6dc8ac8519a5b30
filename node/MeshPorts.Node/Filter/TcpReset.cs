using System.Buffers.Binary;
using MeshPorts.Node.Packets;

namespace MeshPorts.Node.Filter;

/// <summary>Writes a bare TCP RST segment in an IPv4 or IPv6 packet, checksums included.</summary>
internal static class TcpReset
{
    /// <summary>The largest reset written: a 40-byte IPv6 header and a 20-byte TCP header.</summary>
    public const int MaxLength = 60;

    private const int TcpHeaderLength = 20;
    private const byte DefaultHopLimit = 64;

    /// <summary>
    /// Writes RST (with ACK and <paramref name="acknowledgment"/> when <paramref name="withAck"/>) from
    /// source to destination. Returns the packet length, or 0 when <paramref name="buffer"/> is too small.
    /// </summary>
    public static int Write(
        Span<byte> buffer,
        bool isIPv6,
        UInt128 source,
        ushort sourcePort,
        UInt128 destination,
        ushort destinationPort,
        uint sequence,
        uint acknowledgment,
        bool withAck)
    {
        var ipLength = isIPv6 ? 40 : 20;
        var total = ipLength + TcpHeaderLength;
        if (buffer.Length < total)
        {
            return 0;
        }

        var packet = buffer[..total];
        packet.Clear();
        var tcp = packet[ipLength..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], withAck ? acknowledgment : 0);
        tcp[12] = (TcpHeaderLength / 4) << 4;
        tcp[13] = (byte)(IpProtocol.TcpRst | (withAck ? IpProtocol.TcpAck : 0));

        // Pseudo-header: RFC 793 section 3.1 for IPv4, RFC 8200 section 8.1 for IPv6.
        uint sum;
        if (isIPv6)
        {
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet[4..], TcpHeaderLength);
            packet[6] = IpProtocol.Tcp;
            packet[7] = DefaultHopLimit;
            BinaryPrimitives.WriteUInt128BigEndian(packet[8..], source);
            BinaryPrimitives.WriteUInt128BigEndian(packet[24..], destination);
            sum = InternetChecksum.Add(0, packet.Slice(8, 32));
        }
        else
        {
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)total);

            // Don't fragment: a 40-byte packet never needs it.
            packet[6] = 0x40;
            packet[8] = DefaultHopLimit;
            packet[9] = IpProtocol.Tcp;
            BinaryPrimitives.WriteUInt32BigEndian(packet[12..], (uint)source);
            BinaryPrimitives.WriteUInt32BigEndian(packet[16..], (uint)destination);
            BinaryPrimitives.WriteUInt16BigEndian(packet[10..], InternetChecksum.Finish(InternetChecksum.Add(0, packet[..20])));
            sum = InternetChecksum.Add(0, packet.Slice(12, 8));
        }

        sum += IpProtocol.Tcp + (uint)TcpHeaderLength;
        sum = InternetChecksum.Add(sum, tcp);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Finish(sum));
        return total;
    }
}
