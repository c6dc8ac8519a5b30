using System.Buffers.Binary;
using System.Net;

namespace MeshPorts.Node.Tests.Filter;

/// <summary>A TCP packet read back by the tests, with its checksums verified the way a receiving stack would.</summary>
internal sealed record TcpSegment(
    IPAddress Source,
    ushort SourcePort,
    IPAddress Destination,
    ushort DestinationPort,
    uint Sequence,
    uint Acknowledgment,
    byte Flags,
    bool IpChecksumValid,
    bool TcpChecksumValid)
{
    public static TcpSegment Parse(ReadOnlySpan<byte> bytes)
    {
        var packet = bytes.ToArray();
        var v6 = packet[0] >> 4 == 6;
        Assert.True(v6 || packet[0] >> 4 == 4, "not an IP packet");
        int ipLength;
        bool ipValid;
        IPAddress src, dst;
        if (v6)
        {
            ipLength = 40;
            Assert.Equal(6, packet[6]);
            Assert.Equal(packet.Length - 40, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(4)));
            src = new IPAddress(packet.AsSpan(8, 16));
            dst = new IPAddress(packet.AsSpan(24, 16));
            ipValid = true;
        }
        else
        {
            ipLength = (packet[0] & 0x0F) * 4;
            Assert.Equal(6, packet[9]);
            Assert.Equal(packet.Length, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2)));
            src = new IPAddress(packet.AsSpan(12, 4));
            dst = new IPAddress(packet.AsSpan(16, 4));

            // A header with a correct checksum sums to zero including the checksum field.
            ipValid = FilterPackets.Checksum(packet.AsSpan(0, ipLength)) == 0;
        }

        var tcp = packet.AsSpan(ipLength);
        var tcpValid = FilterPackets.TransportChecksum(packet) == BinaryPrimitives.ReadUInt16BigEndian(tcp[16..]);
        return new TcpSegment(
            src,
            BinaryPrimitives.ReadUInt16BigEndian(tcp),
            dst,
            BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]),
            tcp[13],
            ipValid,
            tcpValid);
    }

    public bool IsReset => (Flags & FilterPackets.Rst) != 0;
}
