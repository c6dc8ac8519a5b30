using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace MeshPorts.WireGuard.Crypto;

/// <summary>
/// BLAKE2s (RFC 7693), keyed and unkeyed, output 1..32 bytes. NSec does not offer it and WireGuard's
/// HASH, MAC, HMAC and KDF are all built on it, so it lives here as an allocation-free mutable struct.
/// </summary>
internal struct Blake2s
{
    public const int BlockSize = 64;
    public const int MaxOutputSize = 32;
    public const int MaxKeySize = 32;

    private static ReadOnlySpan<uint> IV =>
    [
        0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au, 0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u,
    ];

    // RFC 7693 section 2.7: message word schedule for the ten rounds.
    private static ReadOnlySpan<byte> Sigma =>
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
    ];

    private State8 _h;
    private Block64 _buffer;
    private int _bufferLength;
    private ulong _counter;
    private int _outputLength;

    public Blake2s(int outputLength, ReadOnlySpan<byte> key = default)
    {
        if (outputLength is < 1 or > MaxOutputSize)
        {
            throw new ArgumentOutOfRangeException(nameof(outputLength));
        }

        if (key.Length > MaxKeySize)
        {
            throw new ArgumentOutOfRangeException(nameof(key));
        }

        _outputLength = outputLength;
        IV.CopyTo(_h);
        // Parameter block word 0: digest length, key length, fanout 1, depth 1 (sequential mode).
        _h[0] ^= 0x01010000u ^ ((uint)key.Length << 8) ^ (uint)outputLength;
        if (key.Length > 0)
        {
            // A keyed hash starts with the key zero-padded to a full block (RFC 7693 section 3.3).
            key.CopyTo(_buffer);
            _bufferLength = BlockSize;
        }
    }

    public void Update(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            // The last block must be compressed with the final flag, so a full buffer is only
            // compressed once more data is known to follow.
            if (_bufferLength == BlockSize)
            {
                _counter += BlockSize;
                Compress(ref this, _buffer, last: false);
                _bufferLength = 0;
            }

            var take = Math.Min(BlockSize - _bufferLength, data.Length);
            data[..take].CopyTo(((Span<byte>)_buffer)[_bufferLength..]);
            _bufferLength += take;
            data = data[take..];
        }
    }

    public void Finish(Span<byte> output)
    {
        if (output.Length < _outputLength)
        {
            throw new ArgumentException("Output is shorter than the digest length.", nameof(output));
        }

        _counter += (ulong)_bufferLength;
        ((Span<byte>)_buffer)[_bufferLength..].Clear();
        Compress(ref this, _buffer, last: true);
        Span<byte> full = stackalloc byte[MaxOutputSize];
        for (var i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(full[(i * 4)..], _h[i]);
        }

        full[.._outputLength].CopyTo(output);
        CryptographicOperations.ZeroMemory(full);
        Clear();
    }

    /// <summary>Wipes the state; it may hold key-dependent values.</summary>
    public void Clear()
    {
        ((Span<uint>)_h).Clear();
        ((Span<byte>)_buffer).Clear();
        _bufferLength = 0;
        _counter = 0;
    }

    public static void Hash(Span<byte> output, ReadOnlySpan<byte> input)
    {
        var state = new Blake2s(output.Length);
        state.Update(input);
        state.Finish(output);
    }

    /// <summary>Keyed BLAKE2s; the key comes first so it cannot be confused with the concatenating overload.</summary>
    public static void KeyedHash(Span<byte> output, ReadOnlySpan<byte> key, ReadOnlySpan<byte> input)
    {
        var state = new Blake2s(output.Length, key);
        state.Update(input);
        state.Finish(output);
    }

    /// <summary>HASH(a || b) with a 32-byte output, the Noise MixHash shape.</summary>
    public static void Hash(Span<byte> output, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c = default)
    {
        var state = new Blake2s(output.Length);
        state.Update(a);
        state.Update(b);
        state.Update(c);
        state.Finish(output);
    }

    private static void Compress(ref Blake2s s, ReadOnlySpan<byte> block, bool last)
    {
        Span<uint> m = stackalloc uint[16];
        for (var i = 0; i < 16; i++)
        {
            m[i] = BinaryPrimitives.ReadUInt32LittleEndian(block[(i * 4)..]);
        }

        Span<uint> v = stackalloc uint[16];
        ((ReadOnlySpan<uint>)s._h).CopyTo(v);
        IV.CopyTo(v[8..]);
        v[12] ^= (uint)s._counter;
        v[13] ^= (uint)(s._counter >> 32);
        if (last)
        {
            v[14] = ~v[14];
        }

        var sigma = Sigma;
        for (var round = 0; round < 10; round++)
        {
            var x = sigma.Slice(round * 16, 16);
            G(v, 0, 4, 8, 12, m[x[0]], m[x[1]]);
            G(v, 1, 5, 9, 13, m[x[2]], m[x[3]]);
            G(v, 2, 6, 10, 14, m[x[4]], m[x[5]]);
            G(v, 3, 7, 11, 15, m[x[6]], m[x[7]]);
            G(v, 0, 5, 10, 15, m[x[8]], m[x[9]]);
            G(v, 1, 6, 11, 12, m[x[10]], m[x[11]]);
            G(v, 2, 7, 8, 13, m[x[12]], m[x[13]]);
            G(v, 3, 4, 9, 14, m[x[14]], m[x[15]]);
        }

        for (var i = 0; i < 8; i++)
        {
            s._h[i] ^= v[i] ^ v[i + 8];
        }

        m.Clear();
        v.Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(Span<uint> v, int a, int b, int c, int d, uint x, uint y)
    {
        // RFC 7693 section 3.1 with BLAKE2s rotation constants R1..R4 = 16, 12, 8, 7.
        v[a] = v[a] + v[b] + x;
        v[d] = BitOperations.RotateRight(v[d] ^ v[a], 16);
        v[c] = v[c] + v[d];
        v[b] = BitOperations.RotateRight(v[b] ^ v[c], 12);
        v[a] = v[a] + v[b] + y;
        v[d] = BitOperations.RotateRight(v[d] ^ v[a], 8);
        v[c] = v[c] + v[d];
        v[b] = BitOperations.RotateRight(v[b] ^ v[c], 7);
    }

    [InlineArray(8)]
    private struct State8
    {
        private uint _first;
    }

    [InlineArray(BlockSize)]
    private struct Block64
    {
        private byte _first;
    }
}
