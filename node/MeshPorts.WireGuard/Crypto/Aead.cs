using System.Buffers.Binary;
using NSec.Cryptography;

namespace MeshPorts.WireGuard.Crypto;

/// <summary>
/// ChaCha20-Poly1305 with WireGuard's nonce (32 zero bits, then the 64-bit counter little-endian),
/// and XChaCha20-Poly1305 for cookie replies.
/// </summary>
internal static class Aead
{
    public const int TagSize = 16;
    public const int KeySize = 32;
    public const int XNonceSize = 24;

    public static Key ImportKey(ReadOnlySpan<byte> rawKey) =>
        Key.Import(AeadAlgorithm.ChaCha20Poly1305, rawKey, KeyBlobFormat.RawSymmetricKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });

    public static void Seal(Key key, ulong counter, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertext)
    {
        Span<byte> nonce = stackalloc byte[12];
        WriteNonce(nonce, counter);
        AeadAlgorithm.ChaCha20Poly1305.Encrypt(key, nonce, associatedData, plaintext, ciphertext[..(plaintext.Length + TagSize)]);
    }

    public static bool Open(Key key, ulong counter, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        if (ciphertext.Length < TagSize)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[12];
        WriteNonce(nonce, counter);
        return AeadAlgorithm.ChaCha20Poly1305.Decrypt(key, nonce, associatedData, ciphertext, plaintext[..(ciphertext.Length - TagSize)]);
    }

    /// <summary>One-shot seal with a raw key, for the handshake (the key is used once).</summary>
    public static void Seal(ReadOnlySpan<byte> rawKey, ulong counter, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertext)
    {
        using var key = ImportKey(rawKey);
        Seal(key, counter, plaintext, associatedData, ciphertext);
    }

    public static bool Open(ReadOnlySpan<byte> rawKey, ulong counter, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        using var key = ImportKey(rawKey);
        return Open(key, counter, ciphertext, associatedData, plaintext);
    }

    public static void XSeal(ReadOnlySpan<byte> rawKey, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertext)
    {
        using var key = Key.Import(AeadAlgorithm.XChaCha20Poly1305, rawKey, KeyBlobFormat.RawSymmetricKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });
        AeadAlgorithm.XChaCha20Poly1305.Encrypt(key, nonce, associatedData, plaintext, ciphertext[..(plaintext.Length + TagSize)]);
    }

    public static bool XOpen(ReadOnlySpan<byte> rawKey, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        using var key = Key.Import(AeadAlgorithm.XChaCha20Poly1305, rawKey, KeyBlobFormat.RawSymmetricKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });
        return AeadAlgorithm.XChaCha20Poly1305.Decrypt(key, nonce, associatedData, ciphertext, plaintext[..(ciphertext.Length - TagSize)]);
    }

    private static void WriteNonce(Span<byte> nonce, ulong counter)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(nonce, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], counter);
    }
}
