using System.Net;
using MeshPorts.Node.Routing;
using Xunit;

namespace MeshPorts.Node.Tests.Routing;

public class IpPrefixTests
{
    [Theory]
    [InlineData("10.0.0.0/24", "10.0.0.0/24", true, 24)]
    [InlineData("10.0.0.77/24", "10.0.0.0/24", true, 24)]
    [InlineData("0.0.0.0/0", "0.0.0.0/0", true, 0)]
    [InlineData("255.255.255.255/0", "0.0.0.0/0", true, 0)]
    [InlineData("192.0.2.1/32", "192.0.2.1/32", true, 32)]
    [InlineData("172.16.255.1/12", "172.16.0.0/12", true, 12)]
    [InlineData("fd00::/64", "fd00::/64", false, 64)]
    [InlineData("fd00::1234:5678/64", "fd00::/64", false, 64)]
    [InlineData("::/0", "::/0", false, 0)]
    [InlineData("2001:db8::1/128", "2001:db8::1/128", false, 128)]
    [InlineData("2001:db8:ffff::/33", "2001:db8:8000::/33", false, 33)]
    public void TryParse_ValidPrefix_NormalizesHostBits(string text, string expected, bool isIPv4, int length)
    {
        Assert.True(IpPrefix.TryParse(text, out var prefix));
        Assert.Equal(expected, prefix.ToString());
        Assert.Equal(isIPv4, prefix.IsIPv4);
        Assert.Equal(length, prefix.Length);
        Assert.Equal(IpPrefix.Parse(expected), prefix);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.0")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/+8")]
    [InlineData("10.0.0.0/08")]
    [InlineData("10.0.0.0/8 ")]
    [InlineData(" 10.0.0.0/8")]
    [InlineData("10.0.0/8")]
    [InlineData("10.1/8")]
    [InlineData("010.0.0.0/8")]
    [InlineData("0x0a.0.0.0/8")]
    [InlineData("256.0.0.0/8")]
    [InlineData("10.0.0.0.0/8")]
    [InlineData("/8")]
    [InlineData("fd00::/129")]
    [InlineData("fe80::1%lo/64")]
    [InlineData("fd00:::/64")]
    [InlineData("fd00::/64/64")]
    [InlineData("example.com/24")]
    public void TryParse_InvalidPrefix_IsRejected(string text)
    {
        Assert.False(IpPrefix.TryParse(text, out _));
        Assert.Throws<FormatException>(() => IpPrefix.Parse(text));
    }

    [Fact]
    public void Equality_DependsOnFamilyAndLength()
    {
        Assert.NotEqual(IpPrefix.Parse("0.0.0.0/0"), IpPrefix.Parse("::/0"));
        Assert.NotEqual(IpPrefix.Parse("10.0.0.0/8"), IpPrefix.Parse("10.0.0.0/9"));
        Assert.Equal(IpPrefix.Parse("10.1.2.3/8").GetHashCode(), IpPrefix.Parse("10.0.0.0/8").GetHashCode());
    }

    [Fact]
    public void Create_FromIPAddress_MatchesParse()
    {
        Assert.Equal(IpPrefix.Parse("192.168.1.0/24"), IpPrefix.Create(IPAddress.Parse("192.168.1.200"), 24));
        Assert.Equal(IPAddress.Parse("192.168.1.0"), IpPrefix.Parse("192.168.1.9/24").Address);
        Assert.Throws<ArgumentOutOfRangeException>(() => IpPrefix.Create(IPAddress.Parse("10.0.0.1"), 33));
        Assert.Throws<ArgumentException>(() => IpPrefix.Create(new byte[5], 8));
    }

    [Theory]
    [InlineData("10.0.0.0/24", "10.0.0.255", true)]
    [InlineData("10.0.0.0/24", "10.0.1.0", false)]
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    [InlineData("0.0.0.0/0", "::1", false)]
    [InlineData("fd00::/8", "fdff::1", true)]
    [InlineData("fd00::/8", "fe00::1", false)]
    public void Contains_ChecksFamilyAndNetwork(string prefix, string address, bool expected)
    {
        Assert.Equal(expected, IpPrefix.Parse(prefix).Contains(IPAddress.Parse(address).GetAddressBytes()));
    }
}
