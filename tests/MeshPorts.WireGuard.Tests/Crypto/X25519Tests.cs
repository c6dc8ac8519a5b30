using MeshPorts.WireGuard.Crypto;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.WireGuard.Tests.Crypto;

public class X25519Tests
{
    // RFC 7748 section 6.1.
    private const string AlicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private const string AlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private const string BobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private const string BobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private const string SharedSecret = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    [Theory]
    // RFC 7748 section 5.2. The scalars are not clamped and the second u has its top bit set: both
    // must be handled as the RFC says (clamp, mask), not rejected.
    [InlineData("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")]
    [InlineData("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
        "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")]
    public void TryAgree_MatchesRfc7748Section52(string scalar, string u, string expected)
    {
        var output = new byte[32];
        Assert.True(X25519.TryAgree(Convert.FromHexString(scalar), Convert.FromHexString(u), output));
        Assert.Equal(expected, Convert.ToHexStringLower(output));
    }

    [Fact]
    public void TryAgree_IteratedAThousandTimes_MatchesRfc7748Section52()
    {
        // k = X25519(k, u), u = old k, starting from k = u = 9.
        var k = new byte[32];
        k[0] = 9;
        var u = (byte[])k.Clone();
        var next = new byte[32];
        for (var i = 1; i <= 1000; i++)
        {
            Assert.True(X25519.TryAgree(k, u, next));
            k.CopyTo(u, 0);
            next.CopyTo(k, 0);
            if (i == 1)
            {
                Assert.Equal("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079", Convert.ToHexStringLower(k));
            }
        }

        Assert.Equal("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51", Convert.ToHexStringLower(k));
    }

    [Fact]
    public void DerivePublic_MatchesRfc7748Section61()
    {
        var pub = new byte[32];
        X25519.DerivePublic(Convert.FromHexString(AlicePrivate), pub);
        Assert.Equal(AlicePublic, Convert.ToHexStringLower(pub));
        X25519.DerivePublic(Convert.FromHexString(BobPrivate), pub);
        Assert.Equal(BobPublic, Convert.ToHexStringLower(pub));
    }

    [Fact]
    public void TryAgree_BothSidesOfRfc7748Section61_GetTheSharedSecret()
    {
        var alice = new byte[32];
        var bob = new byte[32];
        Assert.True(X25519.TryAgree(Convert.FromHexString(AlicePrivate), Convert.FromHexString(BobPublic), alice));
        Assert.True(X25519.TryAgree(Convert.FromHexString(BobPrivate), Convert.FromHexString(AlicePublic), bob));
        Assert.Equal(SharedSecret, Convert.ToHexStringLower(alice));
        Assert.Equal(SharedSecret, Convert.ToHexStringLower(bob));
    }

    [Theory]
    // u = 0 and u = 1, and a point of order 8: every scalar maps them to the all-zero output, which
    // WireGuard (whitepaper section 5.4.2 via Noise's DH) must refuse rather than key a session with.
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("0100000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")]
    public void TryAgree_WithALowOrderPublicKey_IsRejected_AndLeavesNoOutput(string lowOrder)
    {
        var output = Enumerable.Repeat((byte)0xAA, 32).ToArray();
        Assert.False(X25519.TryAgree(Convert.FromHexString(AlicePrivate), Convert.FromHexString(lowOrder), output));
        Assert.All(output, b => Assert.Equal(0, b));
    }

    [Fact]
    public void TryAgree_WithAKeyOfTheWrongLength_IsRejected()
    {
        var output = new byte[32];
        Assert.False(X25519.TryAgree(new byte[31], Convert.FromHexString(BobPublic), output));
        Assert.False(X25519.TryAgree(Convert.FromHexString(AlicePrivate), new byte[33], output));
        Assert.Throws<ArgumentOutOfRangeException>(() => X25519.TryAgree(Convert.FromHexString(AlicePrivate), Convert.FromHexString(BobPublic), new byte[31]));
    }

    [Fact]
    public void GenerateKeyPair_IsClamped_FreshEachTime_AndAgreesWithThePeer()
    {
        var aPrivate = new byte[32];
        var aPublic = new byte[32];
        var bPrivate = new byte[32];
        var bPublic = new byte[32];
        X25519.GenerateKeyPair(aPrivate, aPublic);
        X25519.GenerateKeyPair(bPrivate, bPublic);

        Assert.NotEqual(aPrivate, bPrivate);
        Assert.Equal(0, aPrivate[0] & 7);
        Assert.Equal(0x40, aPrivate[31] & 0xC0);

        // The public key is the one NSec derives for the same private key.
        Assert.Equal(WgKey.FromBytes(aPrivate).PublicFromPrivate().ToHex(), Convert.ToHexStringLower(aPublic));

        var ab = new byte[32];
        var ba = new byte[32];
        Assert.True(X25519.TryAgree(aPrivate, bPublic, ab));
        Assert.True(X25519.TryAgree(bPrivate, aPublic, ba));
        Assert.Equal(ab, ba);
    }
}
