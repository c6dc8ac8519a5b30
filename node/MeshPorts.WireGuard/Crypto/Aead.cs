using System.Buffers.Binary;

namespace MeshPorts.WireGuard.Crypto;

/// <summary>
/// ChaCha20-Poly1305 (RFC 8439) with WireGuard's nonce (32 zero bits, then the 64-bit counter
/// little-endian), and XChaCha20-Poly1305 for cookie replies: libsodium's one-shot IETF functions
/// called on the caller's spans, so a handshake's single-use keys cost no key object at all.
/// </summary>
internal static class Aead
{
    public const int TagSize = 16;
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int XNonceSize = 24;

    /// <summary>A key kept for many packets (a transport keypair); <see cref="Seal(ReadOnlySpan{byte}, ulong, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> on raw bytes is as fast.</summary>
    public static AeadKey ImportKey(ReadOnlySpan<byte> rawKey) => new(rawKey);

    public static void Seal(AeadKey key, ulong counter, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertext) =>
        Seal(key.Bytes, counter, plaintext, associatedData, ciphertext);

    public static bool Open(AeadKey key, ulong counter, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext) =>
        Open(key.Bytes, counter, ciphertext, associatedData, plaintext);

    /// <summary>
    /// Writes plaintext.Length + 16 bytes. The ciphertext may start exactly where the plaintext does
    /// (in place), but not elsewhere inside it.
    /// </summary>
    public static void Seal(ReadOnlySpan<byte> rawKey, ulong counter, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertext)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(nonce, counter);
        Encrypt(rawKey, nonce, plaintext, associatedData, ciphertext, x: false);
    }

    /// <summary>False when the tag does not verify (plaintext then holds no decrypted data) or the input is shorter than a tag.</summary>
    public static bool Open(ReadOnlySpan<byte> rawKey, ulong counter, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(nonce, counter);
        return Decrypt(rawKey, nonce, ciphertext, associatedData, plaintext, x: false);
    }

    /// <summary>ChaCha20-Poly1305 under an explicit 12-byte nonce; the protocol uses the counter overloads, the RFC 8439 vectors this one.</summary>
    public static void SealIetf(ReadOnlySpan<byte> rawKey, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertext) =>
        Encrypt(rawKey, nonce, plaintext, associatedData, ciphertext, x: false);

    public static bool OpenIetf(ReadOnlySpan<byte> rawKey, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext) =>
        Decrypt(rawKey, nonce, ciphertext, associatedData, plaintext, x: false);

    public static void XSeal(ReadOnlySpan<byte> rawKey, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertext) =>
        Encrypt(rawKey, nonce, plaintext, associatedData, ciphertext, x: true);

    public static bool XOpen(ReadOnlySpan<byte> rawKey, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext) =>
        Decrypt(rawKey, nonce, ciphertext, associatedData, plaintext, x: true);

    private static unsafe void Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertext, bool x)
    {
        CheckKeyAndNonce(key, nonce, x);
        var output = ciphertext[..(plaintext.Length + TagSize)];
        CheckOverlap(plaintext, output);

        int rc;
        fixed (byte* c = output)
        fixed (byte* m = plaintext)
        fixed (byte* ad = associatedData)
        fixed (byte* npub = nonce)
        fixed (byte* k = key)
        {
            rc = x
                ? LibSodium.XChaCha20Poly1305IetfEncrypt(c, null, m, (ulong)plaintext.Length, ad, (ulong)associatedData.Length, null, npub, k)
                : LibSodium.ChaCha20Poly1305IetfEncrypt(c, null, m, (ulong)plaintext.Length, ad, (ulong)associatedData.Length, null, npub, k);
        }

        // Encryption fails only for a message over the construction's limit, far beyond any datagram.
        if (rc != 0)
        {
            throw new InvalidOperationException("ChaCha20-Poly1305 encryption failed.");
        }
    }

    private static unsafe bool Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext, bool x)
    {
        CheckKeyAndNonce(key, nonce, x);
        if (ciphertext.Length < TagSize)
        {
            return false;
        }

        var output = plaintext[..(ciphertext.Length - TagSize)];
        CheckOverlap(output, ciphertext);

        int rc;
        fixed (byte* m = output)
        fixed (byte* c = ciphertext)
        fixed (byte* ad = associatedData)
        fixed (byte* npub = nonce)
        fixed (byte* k = key)
        {
            rc = x
                ? LibSodium.XChaCha20Poly1305IetfDecrypt(m, null, null, c, (ulong)ciphertext.Length, ad, (ulong)associatedData.Length, npub, k)
                : LibSodium.ChaCha20Poly1305IetfDecrypt(m, null, null, c, (ulong)ciphertext.Length, ad, (ulong)associatedData.Length, npub, k);
        }

        return rc == 0;
    }

    // libsodium reads exactly 32 key bytes and 12 or 24 nonce bytes through raw pointers: a shorter
    // span would make it read past the caller's buffer.
    private static void CheckKeyAndNonce(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, bool x)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"A ChaCha20-Poly1305 key is {KeySize} bytes, not {key.Length}.", nameof(key));
        }

        var nonceSize = x ? XNonceSize : NonceSize;
        if (nonce.Length != nonceSize)
        {
            throw new ArgumentException($"The nonce must be {nonceSize} bytes, not {nonce.Length}.", nameof(nonce));
        }
    }

    // The stream cipher XORs block by block (several blocks at once in the SIMD code): output that
    // starts exactly on its input is safe, output shifted inside it would read bytes already written.
    private static void CheckOverlap(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> ciphertext)
    {
        if (plaintext.Overlaps(ciphertext, out var offset) && offset != 0)
        {
            throw new ArgumentException("The ciphertext and plaintext may only overlap exactly (in place).");
        }
    }

    private static void WriteNonce(Span<byte> nonce, ulong counter)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(nonce, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], counter);
    }
}
