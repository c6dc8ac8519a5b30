using System.Buffers.Binary;
using NSec.Cryptography;

namespace MeshPorts.Contracts.Relay;

/// <summary>What a UDP relay frame carries.</summary>
public enum RelayFrameKind : byte
{
    Datagram = 1,
    Keepalive = 2,
    KeepaliveAnswer = 3,
}

/// <summary>Which way a frame goes; part of its nonce, so a frame cannot be reflected back as valid.</summary>
public enum RelayDirection : uint
{
    ToRelay = 0,
    FromRelay = 1,
}

/// <summary>The fields of a UDP relay frame whose layout checked; the tag is checked separately.</summary>
public readonly record struct RelayFrameHeader(ulong SessionId, ulong Counter, RelayFrameKind Kind, int PeerIdOffset, int PeerIdLength, int PayloadOffset, int PayloadLength);

/// <summary>
/// UDP relay frames between a node and a relay (docs/nat.md):
/// <c>F2 'M' 'R' 01 | session id (8) | counter (8, BE) | kind (1) | L (1) | peer node id (L) | payload | tag (16)</c>,
/// the tag a ChaCha20-Poly1305 tag over every byte before it, with an empty plaintext and the nonce
/// <c>direction (4, BE) || counter (8, BE)</c>. Parsing is bounds-checked and never throws.
/// </summary>
public static class RelayUdpFrame
{
    public const byte Marker = 0xF2;

    public const int SessionIdSize = 8;

    public const int HeaderSize = 22;

    public const int TagSize = 16;

    public const int MaxPeerIdLength = 64;

    /// <summary>Header, the longest peer id and the tag: what a frame adds to the datagram it carries.</summary>
    public const int MaxOverhead = HeaderSize + MaxPeerIdLength + TagSize;

    private static readonly AeadAlgorithm Aead = AeadAlgorithm.ChaCha20Poly1305;

    /// <summary>True when the first four bytes are a relay frame's; says nothing of its validity.</summary>
    public static bool IsRelayFrame(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= 4 && datagram[0] == Marker && datagram[1] == (byte)'M' && datagram[2] == (byte)'R' && datagram[3] == 1;

    /// <summary>Writes one frame and tags it; returns its length. Throws when the destination is too small or the id too long.</summary>
    public static int Write(Span<byte> destination, ulong sessionId, ulong counter, RelayFrameKind kind, ReadOnlySpan<byte> peerNodeId,
        ReadOnlySpan<byte> payload, Key key, RelayDirection direction)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (peerNodeId.Length > MaxPeerIdLength)
        {
            throw new ArgumentException($"A peer node id in a relay frame is at most {MaxPeerIdLength} bytes.", nameof(peerNodeId));
        }

        var length = HeaderSize + peerNodeId.Length + payload.Length + TagSize;
        if (destination.Length < length)
        {
            throw new ArgumentException($"A relay frame of {length} bytes does not fit in {destination.Length}.", nameof(destination));
        }

        destination[0] = Marker;
        destination[1] = (byte)'M';
        destination[2] = (byte)'R';
        destination[3] = 1;
        BinaryPrimitives.WriteUInt64BigEndian(destination[4..], sessionId);
        BinaryPrimitives.WriteUInt64BigEndian(destination[12..], counter);
        destination[20] = (byte)kind;
        destination[21] = (byte)peerNodeId.Length;
        peerNodeId.CopyTo(destination[HeaderSize..]);
        payload.CopyTo(destination[(HeaderSize + peerNodeId.Length)..]);
        Span<byte> nonce = stackalloc byte[12];
        WriteNonce(nonce, direction, counter);
        var body = length - TagSize;
        Aead.Encrypt(key, nonce, destination[..body], [], destination.Slice(body, TagSize));
        return length;
    }

    /// <summary>Reads the layout (marker, sizes, kind); false for anything malformed. Does not check the tag.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> frame, out RelayFrameHeader header)
    {
        header = default;
        if (frame.Length < HeaderSize + TagSize || !IsRelayFrame(frame))
        {
            return false;
        }

        var kind = (RelayFrameKind)frame[20];
        var peerIdLength = frame[21];
        if (kind is not (RelayFrameKind.Datagram or RelayFrameKind.Keepalive or RelayFrameKind.KeepaliveAnswer)
            || peerIdLength > MaxPeerIdLength
            || HeaderSize + peerIdLength + TagSize > frame.Length)
        {
            return false;
        }

        var payloadOffset = HeaderSize + peerIdLength;
        var payloadLength = frame.Length - TagSize - payloadOffset;
        if (kind == RelayFrameKind.Datagram ? peerIdLength == 0 || payloadLength == 0 : peerIdLength != 0 || payloadLength != 0)
        {
            return false;
        }

        header = new RelayFrameHeader(
            BinaryPrimitives.ReadUInt64BigEndian(frame[4..]),
            BinaryPrimitives.ReadUInt64BigEndian(frame[12..]),
            kind,
            HeaderSize,
            peerIdLength,
            payloadOffset,
            payloadLength);
        return true;
    }

    /// <summary>Checks the frame's tag with the session key; constant time in the tag.</summary>
    public static bool VerifyTag(ReadOnlySpan<byte> frame, Key key, RelayDirection direction)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (frame.Length < HeaderSize + TagSize)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[12];
        WriteNonce(nonce, direction, BinaryPrimitives.ReadUInt64BigEndian(frame[12..]));
        var body = frame.Length - TagSize;
        return Aead.Decrypt(key, nonce, frame[..body], frame[body..], []);
    }

    /// <summary>Imports a 32-byte session key (Welcome.udp_key).</summary>
    public static Key ImportKey(ReadOnlySpan<byte> key) =>
        Key.Import(Aead, key, KeyBlobFormat.RawSymmetricKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });

    private static void WriteNonce(Span<byte> nonce, RelayDirection direction, ulong counter)
    {
        BinaryPrimitives.WriteUInt32BigEndian(nonce, (uint)direction);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
    }
}
