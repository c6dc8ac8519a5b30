using System.Buffers.Binary;
using System.Net;

namespace MeshPorts.Benchmarks.Filter;

/// <summary>
/// Builds a minimal IPv4 TCP segment (no options). The filter reads addresses, ports, flags, sequence
/// numbers and lengths but no checksums, so those are left zero.
/// </summary>
internal static class TcpSegment
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;

    public static byte[] IPv4(string source, ushort sourcePort, string destination, ushort destinationPort, byte flags, uint sequence, uint acknowledgment, int payloadLength)
    {
        var packet = new byte[20 + 20 + payloadLength];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 6;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(12), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(16), out _);
        var tcp = packet.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], acknowledgment);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        return packet;
    }
}
