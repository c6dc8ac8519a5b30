using System.Security.Cryptography;

namespace MeshPorts.WireGuard.Crypto;

/// <summary>
/// The whitepaper's KDF1/KDF2/KDF3 (section 5.4): HKDF over HMAC-BLAKE2s, where
/// tau0 = HMAC(key, input), tau1 = HMAC(tau0, 0x1), tau_i = HMAC(tau0, tau_(i-1) || i).
/// </summary>
internal static class Kdf
{
    public const int Size = 32;

    public static void Derive(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input, Span<byte> t1, Span<byte> t2 = default, Span<byte> t3 = default)
    {
        Span<byte> secret = stackalloc byte[Size];
        Span<byte> block = stackalloc byte[Size + 1];
        HmacBlake2s.Compute(secret, key, input);

        block[0] = 1;
        HmacBlake2s.Compute(block[..Size], secret, block[..1]);
        block[..Size].CopyTo(t1);

        if (!t2.IsEmpty)
        {
            block[Size] = 2;
            HmacBlake2s.Compute(block[..Size], secret, block);
            block[..Size].CopyTo(t2);

            if (!t3.IsEmpty)
            {
                block[Size] = 3;
                HmacBlake2s.Compute(block[..Size], secret, block);
                block[..Size].CopyTo(t3);
            }
        }

        CryptographicOperations.ZeroMemory(secret);
        CryptographicOperations.ZeroMemory(block);
    }
}
