using System.Net;
using MeshPorts.Node.Daemon;
using Xunit;

namespace MeshPorts.Node.Tests.Daemon;

public sealed class HostEndpointsTests
{
    [Fact]
    public void Select_SkipsEveryAddressOfAnotherMeshInterface_IncludingItsUla()
    {
        var interfaces = new[]
        {
            new HostInterface("eth0", [IPAddress.Parse("192.0.2.10"), IPAddress.Parse("2001:db8::10")]),
            new HostInterface("mp0", [IPAddress.Parse("100.64.0.7"), IPAddress.Parse("fd12:3456:789a::7")]),
            new HostInterface("tailscale0", [IPAddress.Parse("100.101.1.2"), IPAddress.Parse("fd7a:115c:a1e0::1")]),
            new HostInterface("mp1", [IPAddress.Parse("fd00:1::1")]),
        };

        var endpoints = HostEndpoints.Select(interfaces, 51820, "mp1");

        Assert.Equal(["192.0.2.10:51820", "[2001:db8::10]:51820"], endpoints);
    }

    [Fact]
    public void Select_SkipsLoopbackAndLinkLocal()
    {
        var interfaces = new[]
        {
            new HostInterface("eth0", [IPAddress.Loopback, IPAddress.Parse("fe80::1"), IPAddress.Parse("198.51.100.4")]),
        };

        Assert.Equal(["198.51.100.4:7000"], HostEndpoints.Select(interfaces, 7000, "mp0"));
    }
}
