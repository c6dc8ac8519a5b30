namespace MeshPorts.WireGuard.Messages;

/// <summary>The first little-endian 32-bit word of every datagram (type byte + 3 zero reserved bytes).</summary>
internal enum MessageType : uint
{
    Initiation = 1,
    Response = 2,
    CookieReply = 3,
    Transport = 4,
}
