using System.Text;
using MeshPorts.WireGuard.Crypto;

namespace MeshPorts.WireGuard.Tests.Crypto;

public class Blake2sTests
{
    [Fact]
    public void Hash_OfAbc_MatchesRfc7693AppendixB()
    {
        var digest = new byte[32];
        Blake2s.Hash(digest, "abc"u8);
        Assert.Equal("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982", Convert.ToHexStringLower(digest));
    }

    /// <summary>RFC 7693 Appendix E: a grand hash over keyed and unkeyed digests of many lengths.</summary>
    [Fact]
    public void SelfTest_GrandHash_MatchesRfc7693AppendixE()
    {
        int[] digestLengths = [16, 20, 28, 32];
        int[] inputLengths = [0, 3, 64, 65, 255, 1024];
        var grand = new Blake2s(32);
        var input = new byte[1024];
        var key = new byte[32];
        var digest = new byte[32];
        foreach (var outLen in digestLengths)
        {
            foreach (var inLen in inputLengths)
            {
                SelfTestSequence(input.AsSpan(0, inLen), (uint)inLen);
                Blake2s.Hash(digest.AsSpan(0, outLen), input.AsSpan(0, inLen));
                grand.Update(digest.AsSpan(0, outLen));

                SelfTestSequence(key.AsSpan(0, outLen), (uint)outLen);
                Blake2s.KeyedHash(digest.AsSpan(0, outLen), key.AsSpan(0, outLen), input.AsSpan(0, inLen));
                grand.Update(digest.AsSpan(0, outLen));
            }
        }

        var result = new byte[32];
        grand.Finish(result);
        Assert.Equal("6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe", Convert.ToHexStringLower(result));
    }

    // Vectors below were computed with Python's hashlib.blake2s, an independent implementation.
    [Fact]
    public void KeyedHash_FullLength_MatchesIndependentImplementation()
    {
        var digest = new byte[32];
        Blake2s.KeyedHash(digest, Range(32), Range(255));
        Assert.Equal("3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd", Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void KeyedHash_SixteenByteOutput_MatchesIndependentImplementation()
    {
        var digest = new byte[16];
        Blake2s.KeyedHash(digest, Range(16), Range(255));
        Assert.Equal("b2953795123bd6b890ef3b6fa8b9bae2", Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void UnkeyedHash_SevenByteOutput_IsNotATruncationOfTheLongerDigest()
    {
        var digest = new byte[7];
        Blake2s.Hash(digest, Range(200));
        Assert.Equal("b8ced358b37795", Convert.ToHexStringLower(digest));

        var full = new byte[32];
        Blake2s.Hash(full, Range(200));
        Assert.NotEqual(full[..7], digest);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(129)]
    public void IncrementalUpdates_InAnySplit_EqualOneShot(int split)
    {
        var data = Range(200);
        var oneShot = new byte[32];
        Blake2s.Hash(oneShot, data);

        var state = new Blake2s(32);
        state.Update(data.AsSpan(0, split));
        state.Update(data.AsSpan(split));
        var incremental = new byte[32];
        state.Finish(incremental);

        Assert.Equal(oneShot, incremental);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(33)]
    public void Constructor_WithInvalidOutputLength_Throws(int length) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Blake2s(length));

    [Fact]
    public void NoiseInitialValues_MatchConstructionAndIdentifierHashes()
    {
        // C = HASH(Construction), H = HASH(C || Identifier): the values every WireGuard implementation starts from.
        Assert.Equal("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36",
            Convert.ToHexStringLower(Noise.NoiseProtocol.InitialChainingKey));
        Assert.Equal("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3",
            Convert.ToHexStringLower(Noise.NoiseProtocol.InitialHash));

        var ck = new byte[32];
        Blake2s.Hash(ck, Encoding.ASCII.GetBytes("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"));
        Assert.Equal(ck, Noise.NoiseProtocol.InitialChainingKey.ToArray());
    }

    internal static byte[] Range(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)i;
        }

        return bytes;
    }

    private static void SelfTestSequence(Span<byte> output, uint seed)
    {
        // RFC 7693 Appendix E: a Fibonacci-like generator, arithmetic modulo 2^32.
        var a = unchecked(0xDEAD4BAD * seed);
        uint b = 1;
        for (var i = 0; i < output.Length; i++)
        {
            var t = unchecked(a + b);
            a = b;
            b = t;
            output[i] = (byte)(t >> 24);
        }
    }
}
