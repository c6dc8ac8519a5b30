using System.Net;
using MeshPorts.Contracts.Stun;
using Xunit;

namespace MeshPorts.Contracts.Tests.Stun;

/// <summary>
/// STUN Binding as the node and the responders use it, checked against the RFC 5769 test vectors
/// (which carry SOFTWARE and MESSAGE-INTEGRITY too: attributes we skip) and against hostile input.
/// </summary>
public sealed class StunMessageTests
{
    private static readonly byte[] VectorTransaction = [0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae];

    // RFC 5769 section 2.2, the sample IPv4 response: 192.0.2.1:32853.
    private static readonly byte[] Ipv4Response =
    [
        0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
        0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
        0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
        0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
        0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
    ];

    // RFC 5769 section 2.3, the sample IPv6 response: [2001:db8:1234:5678:11:2233:4455:6677]:32853.
    private static readonly byte[] Ipv6Response =
    [
        0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
        0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
        0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
        0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
        0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
    ];

    [Fact]
    public void Rfc5769Ipv4ResponseGivesItsMappedAddress()
    {
        var transaction = new byte[12];
        Assert.True(StunMessage.TryReadBindingSuccess(Ipv4Response, transaction, out var mapped));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853), mapped);
        Assert.Equal(VectorTransaction, transaction);
    }

    [Fact]
    public void Rfc5769Ipv6ResponseGivesItsMappedAddress()
    {
        var transaction = new byte[12];
        Assert.True(StunMessage.TryReadBindingSuccess(Ipv6Response, transaction, out var mapped));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853), mapped);
    }

    [Fact]
    public void AFlippedBitFailsTheFingerprint()
    {
        var damaged = (byte[])Ipv4Response.Clone();
        damaged[45] ^= 0x01;
        Assert.False(StunMessage.TryReadBindingSuccess(damaged, new byte[12], out _));
    }

    [Theory]
    [InlineData("203.0.113.7", 51820)]
    [InlineData("2001:db8::42", 1)]
    [InlineData("::ffff:198.18.0.9", 65535)]
    public void WrittenSuccessReadsBack(string address, int port)
    {
        var transaction = Enumerable.Range(1, 12).Select(i => (byte)i).ToArray();
        var buffer = new byte[StunMessage.MaxWrittenSize];
        var length = StunMessage.WriteBindingSuccess(buffer, transaction, new IPEndPoint(IPAddress.Parse(address), port));
        var read = new byte[12];
        Assert.True(StunMessage.IsStun(buffer.AsSpan(0, length)));
        Assert.True(StunMessage.TryReadBindingSuccess(buffer.AsSpan(0, length), read, out var mapped));
        Assert.Equal(transaction, read);
        var expected = IPAddress.Parse(address);
        Assert.Equal(expected.IsIPv4MappedToIPv6 ? expected.MapToIPv4() : expected, mapped.Address);
        Assert.Equal(port, mapped.Port);
    }

    [Fact]
    public void RequestRoundTripsAndIsNotASuccess()
    {
        var transaction = new byte[12];
        transaction[^1] = 9;
        var buffer = new byte[64];
        var length = StunMessage.WriteBindingRequest(buffer, transaction);
        Assert.Equal(28, length);
        var read = new byte[12];
        Assert.True(StunMessage.TryReadBindingRequest(buffer.AsSpan(0, length), read));
        Assert.Equal(transaction, read);
        Assert.False(StunMessage.TryReadBindingSuccess(buffer.AsSpan(0, length), read, out _));
        Assert.False(StunMessage.TryReadBindingRequest(Ipv4Response, read));
    }

    [Fact]
    public void WireGuardMessagesAreNeverStun()
    {
        // Type 1..4, three zero bytes; even with the cookie where a WireGuard sender index sits.
        for (byte type = 1; type <= 4; type++)
        {
            var message = new byte[148];
            message[0] = type;
            message[4] = 0x21;
            message[5] = 0x12;
            message[6] = 0xa4;
            message[7] = 0x42;
            Assert.False(StunMessage.TryReadBindingSuccess(message, new byte[12], out _));
            Assert.False(StunMessage.TryReadBindingRequest(message, new byte[12]));
        }
    }

    [Fact]
    public void TruncatedAndLyingLengthsAreRefusedWithoutThrowing()
    {
        for (var cut = 0; cut < Ipv4Response.Length; cut++)
        {
            Assert.False(StunMessage.TryReadBindingSuccess(Ipv4Response.AsSpan(0, cut), new byte[12], out _));
        }

        var lying = (byte[])Ipv4Response.Clone();
        lying[3] = 0xfc; // claims 252 bytes of attributes
        Assert.False(StunMessage.TryReadBindingSuccess(lying, new byte[12], out _));

        var attributeOverrun = (byte[])Ipv4Response.Clone();
        attributeOverrun[38] = 0x00;
        attributeOverrun[39] = 0xff; // XOR-MAPPED-ADDRESS claims 255 bytes
        Assert.False(StunMessage.TryReadBindingSuccess(attributeOverrun, new byte[12], out _));
    }

    [Fact]
    public void RandomInputNeverThrows()
    {
        var random = new Random(5389);
        var buffer = new byte[128];
        for (var i = 0; i < 20_000; i++)
        {
            random.NextBytes(buffer);
            var length = random.Next(buffer.Length);
            buffer[0] &= 0x01;
            buffer[4] = 0x21;
            buffer[5] = 0x12;
            buffer[6] = 0xa4;
            buffer[7] = 0x42;
            _ = StunMessage.TryReadBindingSuccess(buffer.AsSpan(0, length), new byte[12], out _);
            _ = StunMessage.TryReadBindingRequest(buffer.AsSpan(0, length), new byte[12]);
        }
    }
}
