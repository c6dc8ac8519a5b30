using System.Net;
using System.Text.Json;

namespace MeshPorts.Native.Linux.Tests;

/// <summary>Configures real TUN devices over rtnetlink and checks the result with <c>ip -j</c>.</summary>
public sealed class RtnetlinkTests
{
    public RtnetlinkTests() => TestNetwork.RequireRootAndTun();

    [Fact]
    public void GetInterfaceIndex_MatchesSysfs()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        Assert.Equal(int.Parse(TestNetwork.SysClassNet(tun.Name, "ifindex")), Rtnetlink.GetInterfaceIndex(tun.Name));
        Assert.Equal(1, Rtnetlink.GetInterfaceIndex("lo"));
    }

    [Fact]
    public void GetInterfaceIndex_OfMissingInterface_ThrowsNativeExceptionWithEnodev()
    {
        var e = Assert.Throws<NativeException>(() => Rtnetlink.GetInterfaceIndex(TestNetwork.InterfaceName()));
        Assert.Equal(19, e.Errno);
        Assert.Contains("No interface has that name", e.Message);
    }

    [Fact]
    public void AddAddress_IPv4_AppearsInIpAddrAndDeleteAddressRemovesIt()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        var index = Rtnetlink.GetInterfaceIndex(tun.Name);
        var address = TestNetwork.Host(TestNetwork.RandomSlash30(), 1);

        Rtnetlink.AddAddress(index, address, 30);
        Rtnetlink.AddAddress(index, address, 30); // replacing is idempotent
        Assert.Equal([$"{address}/30"], Addresses(tun.Name, "inet"));

        Rtnetlink.DeleteAddress(index, address, 30);
        Assert.Empty(Addresses(tun.Name, "inet"));
    }

    [Fact]
    public void AddAddress_IPv6_AppearsInIpAddrWithoutDad()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        var index = Rtnetlink.GetInterfaceIndex(tun.Name);
        var address = RandomUla(host: 1);

        Rtnetlink.AddAddress(index, address, 64);
        Assert.Contains($"{address}/64", Addresses(tun.Name, "inet6"));

        Rtnetlink.DeleteAddress(index, address, 64);
        Assert.DoesNotContain($"{address}/64", Addresses(tun.Name, "inet6"));
    }

    [Fact]
    public void DeleteAddress_NotOnTheInterface_ThrowsNativeExceptionWithTheErrno()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        var index = Rtnetlink.GetInterfaceIndex(tun.Name);
        var e = Assert.Throws<NativeException>(() => Rtnetlink.DeleteAddress(index, TestNetwork.Host(TestNetwork.RandomSlash30(), 1), 30));
        Assert.Equal(99, e.Errno); // EADDRNOTAVAIL
        Assert.Contains("RTM_DELADDR", e.Message);
    }

    [Fact]
    public void AddRoute_IPv4_AppearsInIpRouteAndDeleteRouteRemovesIt()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        var index = Rtnetlink.GetInterfaceIndex(tun.Name);
        var network = TestNetwork.RandomSlash30();
        // Host bits are set on purpose: the route must be stored as the masked prefix.
        var destination = TestNetwork.Host(network, 3);
        var expected = $"{TestNetwork.Host(network, 0)}/30";

        Rtnetlink.AddRoute(index, destination, 30);
        Assert.Contains(expected, Routes(tun.Name, "-4"));

        Rtnetlink.DeleteRoute(index, destination, 30);
        Assert.DoesNotContain(expected, Routes(tun.Name, "-4"));
    }

    [Fact]
    public void AddRoute_IPv6_AppearsInIpRouteAndDeleteRouteRemovesIt()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        var index = Rtnetlink.GetInterfaceIndex(tun.Name);
        var prefix = RandomUla(host: 0);
        var expected = $"{prefix}/64";

        Rtnetlink.AddRoute(index, prefix, 64);
        Assert.Contains(expected, Routes(tun.Name, "-6"));

        Rtnetlink.DeleteRoute(index, prefix, 64);
        Assert.DoesNotContain(expected, Routes(tun.Name, "-6"));
    }

    [Fact]
    public void DeleteRoute_ThatDoesNotExist_ThrowsNativeException()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        var index = Rtnetlink.GetInterfaceIndex(tun.Name);
        var e = Assert.Throws<NativeException>(() => Rtnetlink.DeleteRoute(index, TestNetwork.Host(TestNetwork.RandomSlash30(), 0), 30));
        Assert.Equal(3, e.Errno); // ESRCH
    }

    [Fact]
    public void SetLinkStateAndMtu_ChangeWhatTheKernelReports()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        Rtnetlink.SetLinkDown(tun.Name);
        Assert.Equal(0, Convert.ToInt32(TestNetwork.SysClassNet(tun.Name, "flags"), 16) & 0x1);
        Rtnetlink.SetLinkUp(tun.Name);
        Assert.Equal(1, Convert.ToInt32(TestNetwork.SysClassNet(tun.Name, "flags"), 16) & 0x1);
        Rtnetlink.SetMtu(tun.Name, 1300);
        Assert.Equal("1300", TestNetwork.SysClassNet(tun.Name, "mtu"));
    }

    [Fact]
    public void SetMtu_AboveTheDeviceMaximum_ThrowsWithTheKernelsExplanation()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        var e = Assert.Throws<NativeException>(() => Rtnetlink.SetMtu(tun.Name, 70000));
        Assert.Equal(22, e.Errno);
        Assert.True(e.Message.Contains("kernel:"), e.Message);
        Assert.Contains("mtu", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("1420", TestNetwork.SysClassNet(tun.Name, "mtu"));
    }

    [Fact]
    public void AddAddress_WithPrefixLongerThanTheFamily_ThrowsBeforeTalkingToTheKernel()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Rtnetlink.AddAddress(1, IPAddress.Parse("100.127.0.1"), 33));
    }

    private static IPAddress RandomUla(int host)
    {
        var bytes = new byte[16];
        bytes[0] = 0xfd;
        Guid.NewGuid().ToByteArray().AsSpan(0, 7).CopyTo(bytes.AsSpan(1));
        bytes[15] = (byte)host;
        return new IPAddress(bytes);
    }

    private static List<string> Addresses(string name, string family)
    {
        var result = new List<string>();
        foreach (var link in Shell.IpJson("addr", "show", "dev", name).EnumerateArray())
        {
            foreach (var info in link.GetProperty("addr_info").EnumerateArray())
            {
                if (info.GetProperty("family").GetString() == family)
                {
                    var local = IPAddress.Parse(info.GetProperty("local").GetString()!);
                    result.Add($"{local}/{info.GetProperty("prefixlen").GetInt32()}");
                }
            }
        }

        return result;
    }

    private static List<string> Routes(string name, string family)
    {
        var result = new List<string>();
        foreach (var route in Shell.IpJson(family, "route", "show", "dev", name).EnumerateArray())
        {
            var dst = route.GetProperty("dst").GetString()!;
            var slash = dst.IndexOf('/');
            // Normalise the address text so "fd00:0::" and "fd00::" compare equal.
            result.Add(slash < 0 ? dst : $"{IPAddress.Parse(dst[..slash])}{dst[slash..]}");
        }

        return result;
    }
}
