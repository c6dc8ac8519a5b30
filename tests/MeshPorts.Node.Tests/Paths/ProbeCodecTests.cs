using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Tests.Paths;

public sealed class ProbeCodecTests
{
    private static readonly WgKey A = WgKey.GeneratePrivate();
    private static readonly WgKey B = WgKey.GeneratePrivate();

    private static byte[] Key(WgKey own, WgKey peerPrivate)
    {
        var key = new byte[ProbeCodec.KeySize];
        Assert.True(ProbeCodec.TryDeriveKey(own, peerPrivate.PublicFromPrivate(), key));
        return key;
    }

    [Fact]
    public void DerivedKey_IsTheSameOnBothSides_AndDiffersForAnotherPair()
    {
        Assert.Equal(Key(A, B), Key(B, A));
        Assert.NotEqual(Key(A, B), Key(A, WgKey.GeneratePrivate()));
    }

    [Fact]
    public void DerivedKey_ForALowOrderPeerKey_IsRefused()
    {
        var key = new byte[ProbeCodec.KeySize];
        Assert.False(ProbeCodec.TryDeriveKey(A, WgKey.FromBytes(new byte[32]), key));
        Assert.All(key, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Ping_RoundTrips_WithTheSenderKeyInTheClear()
    {
        var txId = ProbeTxId.NewRandom();
        var packet = new byte[ProbeCodec.PacketSize];
        ProbeCodec.Seal(new ProbeMessage(ProbeKind.Ping, txId, 1_764_000_000_123, default), A.PublicFromPrivate(), Key(A, B), packet);

        Assert.Equal([0xF1, (byte)'M', (byte)'P', 0x01], packet[..4]);
        Assert.True(ProbeCodec.TryReadSender(packet, out var sender));
        Assert.Equal(A.PublicFromPrivate(), sender);
        Assert.Equal(ProbeOpenResult.Ok, ProbeCodec.Open(packet, Key(B, A), out var message));
        Assert.Equal(ProbeKind.Ping, message.Kind);
        Assert.Equal(txId, message.TxId);
        Assert.Equal(1_764_000_000_123, message.SenderTimeMs);
        Assert.False(message.Observed.IsSet);
    }

    [Theory]
    [InlineData("198.51.100.7:41641")]
    [InlineData("[2001:db8::7]:51820")]
    public void Pong_CarriesTheObservedAddressAndPort(string observed)
    {
        var packet = new byte[ProbeCodec.PacketSize];
        var txId = ProbeTxId.NewRandom();
        ProbeCodec.Seal(new ProbeMessage(ProbeKind.Pong, txId, 42, PathTestData.Ep(observed)), B.PublicFromPrivate(), Key(B, A), packet);

        Assert.Equal(ProbeOpenResult.Ok, ProbeCodec.Open(packet, Key(A, B), out var message));
        Assert.Equal(ProbeKind.Pong, message.Kind);
        Assert.Equal(txId, message.TxId);
        Assert.Equal(PathTestData.Ep(observed), message.Observed);
    }

    [Fact]
    public void PingAndPong_AreTheSameSize_SoAPongNeverAmplifies()
    {
        Assert.Equal(48 + 39 + 16, ProbeCodec.PacketSize);
        var ping = new byte[ProbeCodec.PacketSize + 10];
        var pong = new byte[ProbeCodec.PacketSize + 10];
        ProbeCodec.Seal(new ProbeMessage(ProbeKind.Ping, ProbeTxId.NewRandom(), 1, default), A.PublicFromPrivate(), Key(A, B), ping);
        ProbeCodec.Seal(new ProbeMessage(ProbeKind.Pong, ProbeTxId.NewRandom(), 1, PathTestData.Ep("192.0.2.1:1")), A.PublicFromPrivate(), Key(A, B), pong);
        Assert.All(ping[ProbeCodec.PacketSize..], b => Assert.Equal(0, b));
        Assert.All(pong[ProbeCodec.PacketSize..], b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(20)]
    [InlineData(47)]
    [InlineData(90)]
    [InlineData(95)]
    public void Open_WithAnyByteChanged_IsBadTag(int index)
    {
        var packet = new byte[ProbeCodec.PacketSize];
        ProbeCodec.Seal(new ProbeMessage(ProbeKind.Ping, ProbeTxId.NewRandom(), 1, default), A.PublicFromPrivate(), Key(A, B), packet);
        packet[index == 0 ? 50 : index] ^= 0x01;
        Assert.Equal(ProbeOpenResult.BadTag, ProbeCodec.Open(packet, Key(B, A), out _));
    }

    [Fact]
    public void Open_UnderAnotherPairsKey_IsBadTag()
    {
        var packet = new byte[ProbeCodec.PacketSize];
        ProbeCodec.Seal(new ProbeMessage(ProbeKind.Ping, ProbeTxId.NewRandom(), 1, default), A.PublicFromPrivate(), Key(A, B), packet);
        Assert.Equal(ProbeOpenResult.BadTag, ProbeCodec.Open(packet, Key(B, WgKey.GeneratePrivate()), out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(48)]
    [InlineData(102)]
    [InlineData(104)]
    [InlineData(1500)]
    public void TryReadSender_OfAnyOtherLength_IsMalformed(int length)
    {
        var packet = new byte[Math.Max(length, ProbeCodec.PacketSize)];
        ProbeCodec.Seal(new ProbeMessage(ProbeKind.Ping, ProbeTxId.NewRandom(), 1, default), A.PublicFromPrivate(), Key(A, B), packet);
        Assert.False(ProbeCodec.TryReadSender(packet.AsSpan(0, length), out _));
    }

    [Theory]
    [InlineData(0, 0xF2)]
    [InlineData(1, (byte)'X')]
    [InlineData(3, 0x02)]
    public void TryReadSender_WithAnotherMarkerOrVersion_IsMalformed(int index, byte value)
    {
        var packet = new byte[ProbeCodec.PacketSize];
        ProbeCodec.Seal(new ProbeMessage(ProbeKind.Ping, ProbeTxId.NewRandom(), 1, default), A.PublicFromPrivate(), Key(A, B), packet);
        packet[index] = value;
        Assert.False(ProbeCodec.TryReadSender(packet, out _));
    }

    [Theory]
    [InlineData(3, 0)]    // an unknown kind
    [InlineData(1, 30)]   // a ping with non-zero padding
    [InlineData(2, 0)]    // a pong with port 0
    public void Open_OfAnAuthenticPlaintextNoNodeSends_IsMalformed(byte kind, int paddingByte)
    {
        var plaintext = new byte[ProbeCodec.PlaintextSize];
        plaintext[0] = kind;
        if (paddingByte != 0)
        {
            plaintext[paddingByte] = 1;
        }

        var packet = new byte[ProbeCodec.PacketSize];
        ProbeCodec.SealPlaintext(plaintext, A.PublicFromPrivate(), Key(A, B), packet);
        Assert.Equal(ProbeOpenResult.Malformed, ProbeCodec.Open(packet, Key(B, A), out _));
    }

    [Theory]
    [InlineData("192.0.2.1:51820", true)]
    [InlineData("127.0.0.1:51820", true)]
    [InlineData("[2001:db8::1]:51820", true)]
    [InlineData("[100::1:2]:1", false)]
    [InlineData("[100::ffff:ffff]:51820", false)]
    [InlineData("0.0.0.0:51820", false)]
    [InlineData("[::]:51820", false)]
    [InlineData("224.0.0.1:51820", false)]
    [InlineData("239.255.255.250:1900", false)]
    [InlineData("255.255.255.255:51820", false)]
    [InlineData("[ff02::1]:51820", false)]
    public void ProbeTargets_RefuseVirtualMulticastBroadcastAndUnspecified(string endpoint, bool allowed) =>
        Assert.Equal(allowed, ProbeTargets.IsAllowed(PathTestData.Ep(endpoint)));
}
