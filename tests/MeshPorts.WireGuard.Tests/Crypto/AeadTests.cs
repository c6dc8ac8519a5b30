using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using MeshPorts.WireGuard.Crypto;

namespace MeshPorts.WireGuard.Tests.Crypto;

public class AeadTests
{
    // RFC 8439 section 2.8.2 and draft-irtf-cfrg-xchacha-03 section A.3.1 share key, AAD and plaintext.
    private static readonly byte[] Key = Convert.FromHexString("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static readonly byte[] Aad = Convert.FromHexString("50515253c0c1c2c3c4c5c6c7");
    private static readonly byte[] Sunscreen = Encoding.ASCII.GetBytes(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");

    private const string Rfc8439Sealed =
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6" +
        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" +
        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
        "3ff4def08e4b7a9de576d26586cec64b6116" +
        "1ae10b594f09e26a7e902ecbd0600691";

    private const string XChaChaSealed =
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb" +
        "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452" +
        "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9" +
        "21f9664c97637da9768812f615c68b13b52e" +
        "c0875924c1c7987947deafd8780acf49";

    private static readonly byte[] Rfc8439Nonce = Convert.FromHexString("070000004041424344454647");
    private static readonly byte[] XNonce = Convert.FromHexString("404142434445464748494a4b4c4d4e4f5051525354555657");

    [Fact]
    public void ChaCha20Poly1305_MatchesRfc8439Section282()
    {
        var sealedBytes = new byte[Sunscreen.Length + Aead.TagSize];
        Aead.SealIetf(Key, Rfc8439Nonce, Sunscreen, Aad, sealedBytes);
        Assert.Equal(Rfc8439Sealed, Convert.ToHexStringLower(sealedBytes));

        var opened = new byte[Sunscreen.Length];
        Assert.True(Aead.OpenIetf(Key, Rfc8439Nonce, sealedBytes, Aad, opened));
        Assert.Equal(Sunscreen, opened);
    }

    [Fact]
    public void XChaCha20Poly1305_MatchesDraftIrtfCfrgXChachaA31()
    {
        var sealedBytes = new byte[Sunscreen.Length + Aead.TagSize];
        Aead.XSeal(Key, XNonce, Sunscreen, Aad, sealedBytes);
        Assert.Equal(XChaChaSealed, Convert.ToHexStringLower(sealedBytes));

        var opened = new byte[Sunscreen.Length];
        Assert.True(Aead.XOpen(Key, XNonce, sealedBytes, Aad, opened));
        Assert.Equal(Sunscreen, opened);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Open_WithAnyFlippedBit_FailsAndReleasesNoPlaintext(bool x)
    {
        var sealedBytes = Convert.FromHexString(x ? XChaChaSealed : Rfc8439Sealed);
        foreach (var index in new[] { 0, 57, sealedBytes.Length - 1 })
        {
            var tampered = (byte[])sealedBytes.Clone();
            tampered[index] ^= 0x01;
            var opened = Enumerable.Repeat((byte)0xAA, Sunscreen.Length).ToArray();
            var ok = x ? Aead.XOpen(Key, XNonce, tampered, Aad, opened) : Aead.OpenIetf(Key, Rfc8439Nonce, tampered, Aad, opened);
            Assert.False(ok, $"flipped byte {index}");
            Assert.DoesNotContain(opened, b => b != 0 && b != 0xAA);
        }

        // The right ciphertext under other associated data fails too.
        var output = new byte[Sunscreen.Length];
        Assert.False(x ? Aead.XOpen(Key, XNonce, sealedBytes, [], output) : Aead.OpenIetf(Key, Rfc8439Nonce, sealedBytes, [], output));
    }

    [Fact]
    public void Seal_WithWireGuardsCounterNonce_MatchesAnIndependentImplementation()
    {
        // .NET's ChaCha20Poly1305 (OpenSSL on Linux) with nonce = 4 zero bytes || counter little-endian.
        Assert.True(ChaCha20Poly1305.IsSupported, "the platform's ChaCha20-Poly1305 is needed as the reference");
        using var reference = new ChaCha20Poly1305(Key);
        const ulong Counter = 0x0102030405060708;
        var nonce = new byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(nonce.AsSpan(4), Counter);
        var expectedCiphertext = new byte[Sunscreen.Length];
        var expectedTag = new byte[Aead.TagSize];
        reference.Encrypt(nonce, Sunscreen, expectedCiphertext, expectedTag, Aad);

        var sealedBytes = new byte[Sunscreen.Length + Aead.TagSize];
        Aead.Seal(Key, Counter, Sunscreen, Aad, sealedBytes);
        Assert.Equal(expectedCiphertext.Concat(expectedTag).ToArray(), sealedBytes);

        var opened = new byte[Sunscreen.Length];
        Assert.True(Aead.Open(Key, Counter, sealedBytes, Aad, opened));
        Assert.Equal(Sunscreen, opened);
        Assert.False(Aead.Open(Key, Counter + 1, sealedBytes, Aad, opened));
    }

    [Fact]
    public void SealAndOpen_InPlace_RoundTrip_WithAnImportedKey()
    {
        using var key = Aead.ImportKey(Key);
        var buffer = new byte[Sunscreen.Length + Aead.TagSize];
        Sunscreen.CopyTo(buffer, 0);
        Aead.Seal(key, 5, buffer.AsSpan(0, Sunscreen.Length), default, buffer);

        var separately = new byte[buffer.Length];
        Aead.Seal(Key, 5, Sunscreen, default, separately);
        Assert.Equal(separately, buffer);

        Assert.True(Aead.Open(key, 5, buffer, default, buffer));
        Assert.Equal(Sunscreen, buffer[..Sunscreen.Length]);
    }

    [Fact]
    public void EmptyPlaintext_SealsToATagThatOpens()
    {
        // The handshake response's encrypted "empty" field.
        var tag = new byte[Aead.TagSize];
        Aead.Seal(Key, 0, [], Aad, tag);
        Assert.Contains(tag, b => b != 0);
        Assert.True(Aead.Open(Key, 0, tag, Aad, []));
        tag[3] ^= 0x80;
        Assert.False(Aead.Open(Key, 0, tag, Aad, []));
    }

    [Fact]
    public void Open_ShorterThanATag_IsRejected()
    {
        Assert.False(Aead.Open(Key, 0, new byte[Aead.TagSize - 1], default, new byte[16]));
    }

    [Fact]
    public void MisuseThatWouldReadOrWriteOutOfBounds_Throws()
    {
        var output = new byte[Sunscreen.Length + Aead.TagSize];
        Assert.Throws<ArgumentException>(() => Aead.Seal(Key.AsSpan(0, 31), 0, Sunscreen, default, output));
        Assert.Throws<ArgumentException>(() => Aead.XSeal(Key, XNonce.AsSpan(0, 12), Sunscreen, default, output));
        Assert.Throws<ArgumentException>(() => Aead.SealIetf(Key, XNonce, Sunscreen, default, output));
        Assert.ThrowsAny<ArgumentException>(() => Aead.Seal(Key, 0, Sunscreen, default, new byte[Sunscreen.Length + 15]));
        Assert.ThrowsAny<ArgumentException>(() => Aead.Open(Key, 0, output, default, new byte[Sunscreen.Length - 1]));

        // Output shifted inside its own input would be read after being overwritten.
        var buffer = new byte[200];
        Assert.Throws<ArgumentException>(() => Aead.Seal(Key, 0, buffer.AsSpan(0, 100), default, buffer.AsSpan(16)));
        Assert.Throws<ArgumentException>(() => Aead.Open(Key, 0, buffer.AsSpan(16, 116), default, buffer));
    }

    [Fact]
    public void ImportedKey_AfterDispose_RefusesUse()
    {
        var key = Aead.ImportKey(Key);
        key.Dispose();
        var output = new byte[Aead.TagSize];
        Assert.Throws<ObjectDisposedException>(() => Aead.Seal(key, 0, [], default, output));
        Assert.Throws<ObjectDisposedException>(() => Aead.Open(key, 0, output, default, []));
    }
}
