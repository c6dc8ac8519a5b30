using System.Buffers.Binary;

namespace MeshPorts.Node.Device;

/// <summary>Tells the kinds of datagram on the WireGuard socket apart: a switch on the first byte, no allocation.</summary>
internal static class UnderlayDemux
{
    public const byte ProbeMarker = 0xF1;
    public const byte RelayFrameMarker = 0xF2;

    // RFC 5389 section 6: the fixed cookie at offset 4 of a 20-byte header.
    private const uint StunMagicCookie = 0x2112A442;
    private const int StunHeaderSize = 20;

    public static UnderlayKind Classify(ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty)
        {
            return UnderlayKind.Unrecognized;
        }

        switch (datagram[0])
        {
            case 1 or 2 or 3 or 4:
                // A little-endian type word: the three bytes after the type are zero. STUN's second byte is
                // never zero for the messages used here (a Binding success is 0x01 0x01), so a 0x01 first
                // byte that fails this test may still be STUN.
                if (datagram.Length >= 4 && datagram[1] == 0 && datagram[2] == 0 && datagram[3] == 0)
                {
                    return UnderlayKind.WireGuard;
                }

                return IsStun(datagram) ? UnderlayKind.Stun : UnderlayKind.Unrecognized;
            case ProbeMarker:
                return UnderlayKind.Probe;
            case RelayFrameMarker:
                return UnderlayKind.RelayFrame;
            default:
                return IsStun(datagram) ? UnderlayKind.Stun : UnderlayKind.Unrecognized;
        }
    }

    private static bool IsStun(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= StunHeaderSize && (datagram[0] & 0xC0) == 0 && BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == StunMagicCookie;
}
