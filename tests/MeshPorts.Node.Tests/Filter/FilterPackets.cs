using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MeshPorts.Node.Tests.Filter;

/// <summary>TCP packets for filter tests, with checksums computed here independently of the product code.</summary>
internal static class FilterPackets
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Ack = 0x10;

    public static byte[] Tcp(string source, ushort sourcePort, string destination, ushort destinationPort, uint sequence, uint acknowledgment, byte flags, int payloadLength = 0)
    {
        var src = IPAddress.Parse(source);
        var dst = IPAddress.Parse(destination);
        var v6 = src.AddressFamily == AddressFamily.InterNetworkV6;
        var ipLength = v6 ? 40 : 20;
        var packet = new byte[ipLength + 20 + payloadLength];
        var tcp = packet.AsSpan(ipLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], acknowledgment);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        for (var i = 0; i < payloadLength; i++)
        {
            tcp[20 + i] = (byte)('a' + (i % 26));
        }

        if (v6)
        {
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(20 + payloadLength));
            packet[6] = 6;
            packet[7] = 64;
            src.TryWriteBytes(packet.AsSpan(8), out _);
            dst.TryWriteBytes(packet.AsSpan(24), out _);
        }
        else
        {
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            packet[8] = 64;
            packet[9] = 6;
            src.TryWriteBytes(packet.AsSpan(12), out _);
            dst.TryWriteBytes(packet.AsSpan(16), out _);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum(packet.AsSpan(0, 20)));
        }

        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], TransportChecksum(packet));
        return packet;
    }

    /// <summary>The TCP checksum a receiver computes over the pseudo-header and segment, with the checksum field zeroed.</summary>
    public static ushort TransportChecksum(byte[] packet)
    {
        var v6 = packet[0] >> 4 == 6;
        var ipLength = v6 ? 40 : (packet[0] & 0x0F) * 4;
        var segment = packet.AsSpan(ipLength).ToArray();
        segment[16] = 0;
        segment[17] = 0;
        var pseudo = new List<byte>();
        if (v6)
        {
            pseudo.AddRange(packet.AsSpan(8, 32).ToArray());
            pseudo.AddRange(new byte[] { 0, 0, (byte)(segment.Length >> 8), (byte)segment.Length, 0, 0, 0, 6 });
        }
        else
        {
            pseudo.AddRange(packet.AsSpan(12, 8).ToArray());
            pseudo.AddRange(new byte[] { 0, 6, (byte)(segment.Length >> 8), (byte)segment.Length });
        }

        pseudo.AddRange(segment);
        return Checksum(pseudo.ToArray());
    }

    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        long sum = 0;
        for (var i = 0; i < data.Length; i += 2)
        {
            sum += (data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0);
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
