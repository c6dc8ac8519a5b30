using MeshPorts.WireGuard.Crypto;

namespace MeshPorts.WireGuard.Tests.Crypto;

public class HmacAndKdfTests
{
    [Fact]
    public void Hmac_MatchesIndependentImplementation()
    {
        // Python: hmac.new(bytes(range(32)), b"hello wireguard", hashlib.blake2s)
        var mac = new byte[32];
        HmacBlake2s.Compute(mac, Blake2sTests.Range(32), "hello wireguard"u8);
        Assert.Equal("c030854166ba79dbc4432ec45565144a37b3729a58feda7e75a70add8d0fd74a", Convert.ToHexStringLower(mac));
    }

    [Fact]
    public void Hmac_EqualsTheRfc2104DefinitionOverOurBlake2s()
    {
        var key = Blake2sTests.Range(32);
        var message = Blake2sTests.Range(100);
        var expected = HmacByDefinition(key, message);
        var actual = new byte[32];
        HmacBlake2s.Compute(actual, key, message.AsSpan(0, 40), message.AsSpan(40));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Kdf3_MatchesIndependentImplementation()
    {
        var key = Enumerable.Repeat((byte)7, 32).ToArray();
        var input = Blake2sTests.Range(50);
        var t1 = new byte[32];
        var t2 = new byte[32];
        var t3 = new byte[32];
        Kdf.Derive(key, input, t1, t2, t3);
        Assert.Equal("26c2409696d8d72c367e63eda10748b8fadc02e3c57a85e0d3139387eb91bcd7", Convert.ToHexStringLower(t1));
        Assert.Equal("0b29202466c8b13e224e6266546211da264bafb703ef9daa475bfe951b81973c", Convert.ToHexStringLower(t2));
        Assert.Equal("79d1a5c3e09ab2efd1be97823e2a3758b9544364f96e5be60c6392025432c46b", Convert.ToHexStringLower(t3));
    }

    [Fact]
    public void Kdf_OutputMayOverwriteItsOwnKey_AsNoiseChainingDoes()
    {
        var key = Blake2sTests.Range(32);
        var expected = new byte[32];
        Kdf.Derive(key, "x"u8, expected);

        var chained = Blake2sTests.Range(32);
        Kdf.Derive(chained, "x"u8, chained);
        Assert.Equal(expected, chained);
    }

    [Fact]
    public void Kdf_ShorterForms_ArePrefixesOfKdf3()
    {
        var key = Blake2sTests.Range(32);
        var a1 = new byte[32];
        var b1 = new byte[32];
        var b2 = new byte[32];
        var c1 = new byte[32];
        var c2 = new byte[32];
        var c3 = new byte[32];
        Kdf.Derive(key, "input"u8, a1);
        Kdf.Derive(key, "input"u8, b1, b2);
        Kdf.Derive(key, "input"u8, c1, c2, c3);
        Assert.Equal(c1, a1);
        Assert.Equal(c1, b1);
        Assert.Equal(c2, b2);
        Assert.NotEqual(c2, c3);
    }

    private static byte[] HmacByDefinition(byte[] key, byte[] message)
    {
        var ipad = new byte[64];
        var opad = new byte[64];
        for (var i = 0; i < 64; i++)
        {
            var k = i < key.Length ? key[i] : (byte)0;
            ipad[i] = (byte)(k ^ 0x36);
            opad[i] = (byte)(k ^ 0x5c);
        }

        var inner = new byte[32];
        Blake2s.Hash(inner, [.. ipad, .. message]);
        var outer = new byte[32];
        Blake2s.Hash(outer, [.. opad, .. inner]);
        return outer;
    }
}
