using System.Security.Cryptography;

namespace MeshPorts.WireGuard.Crypto;

/// <summary>Curve25519 Diffie-Hellman (RFC 7748) on raw 32-byte keys, libsodium called on the caller's spans.</summary>
internal static class X25519
{
    public const int KeySize = 32;

    /// <summary>
    /// DH(private, public) into the first 32 bytes of <paramref name="sharedSecret"/>. False when the
    /// result is all zeros (a low-order public key), which the Noise handshake must refuse, or when a
    /// key is not 32 bytes; the output is then zeroed.
    /// </summary>
    public static unsafe bool TryAgree(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> sharedSecret)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sharedSecret.Length, KeySize, nameof(sharedSecret));
        var output = sharedSecret[..KeySize];
        if (privateKey.Length != KeySize || publicKey.Length != KeySize)
        {
            output.Clear();
            return false;
        }

        int rc;
        fixed (byte* q = output)
        fixed (byte* n = privateKey)
        fixed (byte* p = publicKey)
        {
            rc = LibSodium.ScalarMultCurve25519(q, n, p);
        }

        // libsodium already returns -1 for an all-zero result; the check is repeated here so that the
        // refusal the protocol depends on (whitepaper section 5.4.2's DH validity) is visible and does
        // not rest on one library version's behaviour.
        if (rc != 0 || IsZero(output))
        {
            CryptographicOperations.ZeroMemory(output);
            return false;
        }

        return true;
    }

    /// <summary>A fresh clamped ephemeral private key and its public key.</summary>
    public static void GenerateKeyPair(Span<byte> privateKey, Span<byte> publicKey)
    {
        RandomNumberGenerator.Fill(privateKey[..KeySize]);
        Keys.WgKey.Clamp(privateKey);
        DerivePublic(privateKey, publicKey);
    }

    /// <summary>The public key of a private scalar (libsodium clamps the scalar as RFC 7748 does).</summary>
    public static unsafe void DerivePublic(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(privateKey.Length, KeySize, nameof(privateKey));
        ArgumentOutOfRangeException.ThrowIfLessThan(publicKey.Length, KeySize, nameof(publicKey));
        int rc;
        fixed (byte* q = publicKey)
        fixed (byte* n = privateKey)
        {
            rc = LibSodium.ScalarMultCurve25519Base(q, n);
        }

        if (rc != 0)
        {
            throw new CryptographicException("X25519 public key derivation failed.");
        }
    }

    private static bool IsZero(ReadOnlySpan<byte> bytes)
    {
        byte acc = 0;
        foreach (var b in bytes)
        {
            acc |= b;
        }

        return acc == 0;
    }
}
