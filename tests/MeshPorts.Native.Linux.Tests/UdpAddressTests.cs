using System.Net;

namespace MeshPorts.Native.Linux.Tests;

public sealed class UdpAddressTests
{
    [Fact]
    public void FromIPEndPoint_IPv4_StoresV4MappedAndRoundTrips()
    {
        var endpoint = new IPEndPoint(IPAddress.Parse("192.0.2.7"), 51820);
        var address = UdpAddress.FromIPEndPoint(endpoint);
        Assert.True(address.IsIPv4);
        Assert.Equal(IPAddress.Parse("::ffff:192.0.2.7").GetAddressBytes(), address.Address16.ToArray());
        Assert.Equal(51820, address.Port);
        Assert.Equal(endpoint, address.ToIPEndPoint());
        Assert.Equal("192.0.2.7:51820", address.ToString());
    }

    [Fact]
    public void FromIPEndPoint_IPv6WithScope_KeepsTheScopeId()
    {
        var ip = IPAddress.Parse("fe80::1");
        ip.ScopeId = 7;
        var address = UdpAddress.FromIPEndPoint(new IPEndPoint(ip, 9));
        Assert.False(address.IsIPv4);
        Assert.Equal(7u, address.ScopeId);
        var back = address.ToIPEndPoint();
        Assert.Equal(7, back.Address.ScopeId);
        Assert.Equal(ip, back.Address);
    }

    [Fact]
    public void RawConstructor_RoundTripsAndComparesByValue()
    {
        var bytes = IPAddress.Parse("2001:db8::5").GetAddressBytes();
        var a = new UdpAddress(bytes, 443, 0);
        var b = UdpAddress.FromIPEndPoint(IPEndPoint.Parse("[2001:db8::5]:443"));
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, new UdpAddress(bytes, 444));
        Span<byte> copy = stackalloc byte[16];
        a.CopyAddressTo(copy);
        Assert.Equal(bytes, copy.ToArray());
    }

    [Fact]
    public void RawConstructor_WithFourByteAddress_Throws()
    {
        Assert.Throws<ArgumentException>(() => new UdpAddress(new byte[4], 1));
    }
}
