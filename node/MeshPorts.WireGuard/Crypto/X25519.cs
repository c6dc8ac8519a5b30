using System.Security.Cryptography;
using NSec.Cryptography;

namespace MeshPorts.WireGuard.Crypto;

/// <summary>Curve25519 Diffie-Hellman on raw 32-byte keys, via NSec (libsodium).</summary>
internal static class X25519
{
    public const int KeySize = 32;

    /// <summary>
    /// DH(private, public). False when the result is all zeros (a low-order public key), which the
    /// Noise handshake must refuse.
    /// </summary>
    public static bool TryAgree(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> sharedSecret)
    {
        var algorithm = KeyAgreementAlgorithm.X25519;
        try
        {
            if (!PublicKey.TryImport(algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var other) || other is null)
            {
                return false;
            }

            using var key = Key.Import(algorithm, privateKey, KeyBlobFormat.RawPrivateKey);
            using var secret = algorithm.Agree(key, other, new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
            if (secret is null)
            {
                return false;
            }

            var bytes = secret.Export(SharedSecretBlobFormat.RawSharedSecret);
            bytes.CopyTo(sharedSecret);
            CryptographicOperations.ZeroMemory(bytes);
            return !IsZero(sharedSecret[..KeySize]);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or CryptographicException)
        {
            return false;
        }
    }

    /// <summary>A fresh clamped ephemeral private key and its public key.</summary>
    public static void GenerateKeyPair(Span<byte> privateKey, Span<byte> publicKey)
    {
        RandomNumberGenerator.Fill(privateKey[..KeySize]);
        Keys.WgKey.Clamp(privateKey);
        DerivePublic(privateKey, publicKey);
    }

    public static void DerivePublic(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        using var key = Key.Import(KeyAgreementAlgorithm.X25519, privateKey, KeyBlobFormat.RawPrivateKey);
        if (!key.PublicKey.TryExport(KeyBlobFormat.RawPublicKey, publicKey, out var written) || written != KeySize)
        {
            throw new CryptographicException("X25519 public key export failed.");
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
