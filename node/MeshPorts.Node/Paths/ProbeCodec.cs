using System.Buffers.Binary;
using System.Security.Cryptography;
using MeshPorts.WireGuard.Crypto;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Paths;

/// <summary>
/// The probe datagram of docs/nat.md ("Probes"): 0xF1 'M' 'P' 0x01, the sender's static public key, a
/// random nonce, then ChaCha20-Poly1305 over the plaintext with bytes 0..47 as associated data.
/// </summary>
/// <remarks>
/// Pings carry 18 zero bytes where a pong carries the observed address and port, so that both are
/// exactly <see cref="PacketSize"/> bytes: a pong is never larger than the ping it answers, and a forged
/// source gains no amplification. Anything of another length is malformed.
/// </remarks>
internal static class ProbeCodec
{
    public const byte Marker = 0xF1;
    public const int KeyOffset = 4;
    public const int NonceOffset = KeyOffset + WgKey.Size;
    public const int HeaderSize = NonceOffset + Aead.NonceSize;

    // kind || txid || int64 time || 16-byte address || uint16 port (zero padding in a ping).
    public const int PlaintextSize = 1 + ProbeTxId.Size + 8 + 16 + 2;
    public const int PacketSize = HeaderSize + PlaintextSize + Aead.TagSize;
    public const int KeySize = Aead.KeySize;

    private const int TimeOffset = 1 + ProbeTxId.Size;
    private const int AddressOffset = TimeOffset + 8;
    private const int PortOffset = AddressOffset + 16;

    private static ReadOnlySpan<byte> Magic => [Marker, (byte)'M', (byte)'P', 0x01];

    private static ReadOnlySpan<byte> KeyLabel => "meshports-probe-v1"u8;

    /// <summary>
    /// BLAKE2s-256(DH(own static private, peer static public) || "meshports-probe-v1"): the same key on
    /// both sides. False for a low-order peer key (an all-zero DH), which no probe may be keyed by.
    /// </summary>
    public static bool TryDeriveKey(in WgKey ownPrivate, in WgKey peerPublic, Span<byte> key)
    {
        Span<byte> shared = stackalloc byte[X25519.KeySize];
        try
        {
            if (!X25519.TryAgree(ownPrivate.AsSpan(), peerPublic.AsSpan(), shared))
            {
                key[..KeySize].Clear();
                return false;
            }

            Blake2s.Hash(key[..KeySize], shared, KeyLabel);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    /// <summary>Writes the <see cref="PacketSize"/>-byte probe into <paramref name="packet"/>.</summary>
    public static void Seal(in ProbeMessage message, in WgKey senderPublic, ReadOnlySpan<byte> key, Span<byte> packet)
    {
        Span<byte> plaintext = stackalloc byte[PlaintextSize];
        plaintext.Clear();
        plaintext[0] = (byte)message.Kind;
        message.TxId.Write(plaintext[1..]);
        BinaryPrimitives.WriteInt64BigEndian(plaintext[TimeOffset..], message.SenderTimeMs);
        if (message.Kind == ProbeKind.Pong)
        {
            message.Observed.Address16.CopyTo(plaintext[AddressOffset..]);
            BinaryPrimitives.WriteUInt16BigEndian(plaintext[PortOffset..], message.Observed.Port);
        }

        SealPlaintext(plaintext, senderPublic, key, packet);
    }

    /// <summary>Frames and seals a <see cref="PlaintextSize"/>-byte plaintext as it is (tests use it for probes no node sends).</summary>
    internal static void SealPlaintext(ReadOnlySpan<byte> plaintext, in WgKey senderPublic, ReadOnlySpan<byte> key, Span<byte> packet)
    {
        if (plaintext.Length != PlaintextSize)
        {
            throw new ArgumentException($"A probe's plaintext is {PlaintextSize} bytes.", nameof(plaintext));
        }

        var output = packet[..PacketSize];
        Magic.CopyTo(output);
        senderPublic.CopyTo(output[KeyOffset..]);
        RandomNumberGenerator.Fill(output.Slice(NonceOffset, Aead.NonceSize));
        Aead.SealIetf(key, output.Slice(NonceOffset, Aead.NonceSize), plaintext, output[..HeaderSize], output[HeaderSize..]);
    }

    /// <summary>
    /// Checks the framing and reads the sender key, before any cryptography: false (malformed) for a
    /// datagram of the wrong size, marker or version.
    /// </summary>
    public static bool TryReadSender(ReadOnlySpan<byte> packet, out WgKey sender)
    {
        if (packet.Length != PacketSize || !packet[..Magic.Length].SequenceEqual(Magic))
        {
            sender = default;
            return false;
        }

        sender = WgKey.FromBytes(packet.Slice(KeyOffset, WgKey.Size));
        return true;
    }

    /// <summary>Opens a datagram <see cref="TryReadSender"/> accepted.</summary>
    public static ProbeOpenResult Open(ReadOnlySpan<byte> packet, ReadOnlySpan<byte> key, out ProbeMessage message)
    {
        message = default;
        if (packet.Length != PacketSize)
        {
            return ProbeOpenResult.Malformed;
        }

        Span<byte> plaintext = stackalloc byte[PlaintextSize];
        if (!Aead.OpenIetf(key, packet.Slice(NonceOffset, Aead.NonceSize), packet[HeaderSize..], packet[..HeaderSize], plaintext))
        {
            return ProbeOpenResult.BadTag;
        }

        var kind = (ProbeKind)plaintext[0];
        var txId = ProbeTxId.Read(plaintext[1..]);
        var time = BinaryPrimitives.ReadInt64BigEndian(plaintext[TimeOffset..]);
        var tail = plaintext[AddressOffset..];
        switch (kind)
        {
            case ProbeKind.Ping:
                if (tail.ContainsAnyExcept((byte)0))
                {
                    return ProbeOpenResult.Malformed;
                }

                message = new ProbeMessage(kind, txId, time, default);
                return ProbeOpenResult.Ok;

            case ProbeKind.Pong:
                var port = BinaryPrimitives.ReadUInt16BigEndian(plaintext[PortOffset..]);
                if (port == 0)
                {
                    return ProbeOpenResult.Malformed;
                }

                message = new ProbeMessage(kind, txId, time, new PeerEndpoint(plaintext.Slice(AddressOffset, 16), port));
                return ProbeOpenResult.Ok;

            default:
                return ProbeOpenResult.Malformed;
        }
    }
}
