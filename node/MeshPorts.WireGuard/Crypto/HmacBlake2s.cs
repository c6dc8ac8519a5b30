using System.Security.Cryptography;

namespace MeshPorts.WireGuard.Crypto;

/// <summary>HMAC (RFC 2104) over BLAKE2s-256 with its 64-byte block, the paper's HMAC.</summary>
internal static class HmacBlake2s
{
    public const int OutputSize = 32;

    public static void Compute(Span<byte> output, ReadOnlySpan<byte> key, ReadOnlySpan<byte> input1, ReadOnlySpan<byte> input2 = default)
    {
        if (key.Length > Blake2s.BlockSize)
        {
            throw new ArgumentException("Keys longer than one block are never used by WireGuard.", nameof(key));
        }

        Span<byte> pad = stackalloc byte[Blake2s.BlockSize];
        Span<byte> inner = stackalloc byte[OutputSize];

        pad.Clear();
        key.CopyTo(pad);
        for (var i = 0; i < pad.Length; i++)
        {
            pad[i] ^= 0x36;
        }

        var h = new Blake2s(OutputSize);
        h.Update(pad);
        h.Update(input1);
        h.Update(input2);
        h.Finish(inner);

        pad.Clear();
        key.CopyTo(pad);
        for (var i = 0; i < pad.Length; i++)
        {
            pad[i] ^= 0x5c;
        }

        h = new Blake2s(OutputSize);
        h.Update(pad);
        h.Update(inner);
        h.Finish(output);

        CryptographicOperations.ZeroMemory(pad);
        CryptographicOperations.ZeroMemory(inner);
    }
}
