using System.Buffers.Binary;

namespace MeshPorts.Node.Packets;

/// <summary>
/// TCP and UDP both open with the source and destination port (RFC 9293, RFC 768). An ICMP error quotes
/// only the first 8 bytes of the packet it is about (RFC 792), which is enough for these and not for a
/// whole header, so the filter reads a quoted packet's ports here rather than through a header view.
/// </summary>
internal static class TransportPorts
{
    /// <summary>The bytes at the start of a TCP or UDP header that hold both ports.</summary>
    public const int Size = 4;

    public static ushort Source(ReadOnlySpan<byte> transport) => BinaryPrimitives.ReadUInt16BigEndian(transport);

    public static ushort Destination(ReadOnlySpan<byte> transport) => BinaryPrimitives.ReadUInt16BigEndian(transport[2..]);
}
