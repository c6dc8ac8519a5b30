using System.Buffers.Binary;
using System.Net;
using MeshPorts.Node.Packets;

namespace MeshPorts.Fuzz;

/// <summary>Well-formed IPv4/IPv6 TCP, UDP and ICMP packets with correct checksums, for seed corpora.</summary>
internal static class SeedPackets
{
    public const byte Ack = 0x10;
    public const byte Psh = 0x08;
    public const byte Syn = 0x02;

    public static readonly IPAddress Local4 = IPAddress.Parse("100.64.0.1");
    public static readonly IPAddress Remote4 = IPAddress.Parse("100.64.0.2");
    public static readonly IPAddress Local6 = IPAddress.Parse("fd7a:115c:a1e0::1");
    public static readonly IPAddress Remote6 = IPAddress.Parse("fd7a:115c:a1e0::2");

    public static byte[] Tcp(IPAddress source, IPAddress destination, ushort sourcePort, ushort destinationPort, uint sequence, byte flags, int payload)
    {
        var l4 = new byte[20 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(l4, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(8), 1000);
        l4[12] = 5 << 4;
        l4[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(14), 65535);
        for (var i = 20; i < l4.Length; i++)
        {
            l4[i] = (byte)i;
        }

        return Ip(source, destination, 6, l4, 16);
    }

    public static byte[] Udp(IPAddress source, IPAddress destination, ushort sourcePort, ushort destinationPort, int payload)
    {
        var l4 = new byte[8 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(l4, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(4), (ushort)l4.Length);
        return Ip(source, destination, 17, l4, 6);
    }

    public static byte[] IcmpEcho(IPAddress source, IPAddress destination)
    {
        var v6 = source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var l4 = new byte[16];
        l4[0] = v6 ? (byte)128 : (byte)8;
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(4), 7);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(6), 1);
        if (v6)
        {
            return Ip(source, destination, 58, l4, 2);
        }

        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), InternetChecksum.Finish(InternetChecksum.Add(0, l4)));
        return Ip(source, destination, 1, l4, -1);
    }

    /// <summary>Wraps a transport segment; <paramref name="checksumAt"/> is where its checksum goes (-1: none, done).</summary>
    private static byte[] Ip(IPAddress source, IPAddress destination, byte protocol, byte[] l4, int checksumAt)
    {
        var src = source.GetAddressBytes();
        var dst = destination.GetAddressBytes();
        if (checksumAt >= 0)
        {
            var sum = InternetChecksum.Add(InternetChecksum.PseudoHeader(src, dst, protocol, l4.Length), l4);
            BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(checksumAt), InternetChecksum.Finish(sum));
        }

        byte[] header;
        if (src.Length == 4)
        {
            header = new byte[20];
            header[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)(20 + l4.Length));
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 0x1234);
            header[6] = 0x40;
            header[8] = 64;
            header[9] = protocol;
            src.CopyTo(header, 12);
            dst.CopyTo(header, 16);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), InternetChecksum.Finish(InternetChecksum.Add(0, header)));
        }
        else
        {
            header = new byte[40];
            header[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)l4.Length);
            header[6] = protocol;
            header[7] = 64;
            src.CopyTo(header, 8);
            dst.CopyTo(header, 24);
        }

        return [.. header, .. l4];
    }
}
