using System.Buffers.Binary;

namespace MeshPorts.Node.Packets;

/// <summary>
/// The 8-byte header shared by ICMP (RFC 792) and ICMPv6 (RFC 4443) messages, read in place: type,
/// the echo identifier the filter keys echo flows by, and the body an error quotes its packet in.
/// </summary>
internal readonly ref struct IcmpHeader
{
    public const int Size = 8;

    /// <summary>The header and body.</summary>
    public readonly ReadOnlySpan<byte> Message;

    private IcmpHeader(ReadOnlySpan<byte> message) => Message = message;

    public byte Type => Message[0];

    /// <summary>The echo request/reply identifier; other types put something else here.</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(Message[4..]);

    /// <summary>What follows the header: for an error, the leading bytes of the packet it is about.</summary>
    public ReadOnlySpan<byte> Body => Message[Size..];

    /// <summary>True when <paramref name="message"/> holds the 8-byte header.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out IcmpHeader header)
    {
        header = message.Length < Size ? default : new IcmpHeader(message);
        return message.Length >= Size;
    }
}
