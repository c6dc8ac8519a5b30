using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MeshPorts.TestKit;

/// <summary>Builds well-formed IPv4/IPv6 packets (ICMP echo, UDP) for data-plane tests.</summary>
internal static class TestPackets
{
    public static byte[] IcmpEcho(string source, string destination, ushort id, ushort sequence, int payloadLength = 56)
    {
        var src = IPAddress.Parse(source);
        var dst = IPAddress.Parse(destination);
        var payload = new byte[payloadLength];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(i + sequence);
        }

        var v6 = src.AddressFamily == AddressFamily.InterNetworkV6;
        var icmp = new byte[8 + payload.Length];
        icmp[0] = v6 ? (byte)128 : (byte)8; // echo request
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), sequence);
        payload.CopyTo(icmp, 8);
        return v6 ? IPv6(src, dst, 58, icmp) : IPv4(src, dst, 1, icmp);
    }

    public static byte[] Udp(string source, ushort sourcePort, string destination, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        var src = IPAddress.Parse(source);
        var dst = IPAddress.Parse(destination);
        var udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp.AsSpan(8));
        return src.AddressFamily == AddressFamily.InterNetworkV6 ? IPv6(src, dst, 17, udp) : IPv4(src, dst, 17, udp);
    }

    private static byte[] IPv4(IPAddress src, IPAddress dst, byte protocol, byte[] body)
    {
        var packet = new byte[20 + body.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = protocol;
        src.TryWriteBytes(packet.AsSpan(12), out _);
        dst.TryWriteBytes(packet.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum(packet.AsSpan(0, 20)));
        body.CopyTo(packet, 20);
        if (protocol == 1)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), Checksum(packet.AsSpan(20)));
        }

        return packet;
    }

    private static byte[] IPv6(IPAddress src, IPAddress dst, byte nextHeader, byte[] body)
    {
        var packet = new byte[40 + body.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)body.Length);
        packet[6] = nextHeader;
        packet[7] = 64;
        src.TryWriteBytes(packet.AsSpan(8), out _);
        dst.TryWriteBytes(packet.AsSpan(24), out _);
        body.CopyTo(packet, 40);
        return packet;
    }

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if ((data.Length & 1) == 1)
        {
            sum += (uint)(data[^1] << 8);
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
