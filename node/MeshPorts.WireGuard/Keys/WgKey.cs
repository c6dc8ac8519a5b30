using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using NSec.Cryptography;

namespace MeshPorts.WireGuard.Keys;

/// <summary>
/// A 32-byte WireGuard key (private, public or preshared). Equality is constant time, so a key can
/// be compared against secret material without leaking where the first differing byte is.
/// </summary>
public readonly struct WgKey : IEquatable<WgKey>
{
    public const int Size = 32;

    private readonly Bytes32 _bytes;

    private WgKey(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_bytes);
    }

    /// <summary>Copies exactly <see cref="Size"/> bytes into a new key.</summary>
    public static WgKey FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"A WireGuard key is {Size} bytes, not {bytes.Length}.", nameof(bytes));
        }

        return new WgKey(bytes);
    }

    public bool IsZero
    {
        get
        {
            ReadOnlySpan<byte> b = _bytes;
            byte acc = 0;
            foreach (var x in b)
            {
                acc |= x;
            }

            return acc == 0;
        }
    }

    /// <summary>The key's bytes. The span aliases a copy held by the caller's variable.</summary>
    [UnscopedRef]
    public ReadOnlySpan<byte> AsSpan() => _bytes;

    public void CopyTo(Span<byte> destination) => ((ReadOnlySpan<byte>)_bytes).CopyTo(destination);

    public static bool TryParseBase64(string? text, out WgKey key)
    {
        key = default;
        if (text is null || text.Length != 44 || text[43] != '=')
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[33];
        if (!Convert.TryFromBase64String(text, buffer, out var written) || written != Size)
        {
            return false;
        }

        key = new WgKey(buffer[..Size]);
        CryptographicOperations.ZeroMemory(buffer);
        return true;
    }

    public static bool TryParseHex(string? text, out WgKey key)
    {
        key = default;
        if (text is null || text.Length != Size * 2)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[Size];
        if (Convert.FromHexString(text, buffer, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        key = new WgKey(buffer);
        CryptographicOperations.ZeroMemory(buffer);
        return true;
    }

    public string ToBase64() => Convert.ToBase64String(_bytes);

    /// <summary>Lower-case hex, as the UAPI uses.</summary>
    public string ToHex() => Convert.ToHexStringLower(_bytes);

    /// <summary>A new random, clamped Curve25519 private key.</summary>
    public static WgKey GeneratePrivate()
    {
        Span<byte> k = stackalloc byte[Size];
        RandomNumberGenerator.Fill(k);
        Clamp(k);
        var key = new WgKey(k);
        CryptographicOperations.ZeroMemory(k);
        return key;
    }

    /// <summary>The Curve25519 public key of this private key (the scalar is clamped first, as X25519 does).</summary>
    public WgKey PublicFromPrivate()
    {
        var algorithm = KeyAgreementAlgorithm.X25519;
        using var privateKey = Key.Import(algorithm, _bytes, KeyBlobFormat.RawPrivateKey);
        Span<byte> pub = stackalloc byte[Size];
        if (!privateKey.PublicKey.TryExport(KeyBlobFormat.RawPublicKey, pub, out var written) || written != Size)
        {
            throw new CryptographicException("X25519 public key export failed.");
        }

        return new WgKey(pub);
    }

    /// <summary>RFC 7748 scalar clamping, which wg genkey applies to private keys.</summary>
    public static void Clamp(Span<byte> scalar)
    {
        scalar[0] &= 248;
        scalar[31] = (byte)((scalar[31] & 127) | 64);
    }

    public bool Equals(WgKey other) => CryptographicOperations.FixedTimeEquals(_bytes, other._bytes);

    public override bool Equals(object? obj) => obj is WgKey other && Equals(other);

    /// <summary>A hash for dictionaries keyed by public keys; not to be used on secret keys.</summary>
    public override int GetHashCode() => BitConverter.ToInt32(_bytes);

    public static bool operator ==(WgKey left, WgKey right) => left.Equals(right);

    public static bool operator !=(WgKey left, WgKey right) => !left.Equals(right);

    /// <summary>Never prints key material; use <see cref="ToBase64"/> for public keys explicitly.</summary>
    public override string ToString() => "WgKey(…)";

    [InlineArray(Size)]
    private struct Bytes32
    {
        private byte _first;
    }
}
