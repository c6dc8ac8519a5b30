using MeshPorts.Node.Daemon;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Node.Tests.Daemon;

public sealed class InterfaceForwardingTests : IDisposable
{
    private readonly string _procSys = Directory.CreateTempSubdirectory("meshports-procsys-").FullName;

    public void Dispose() => Directory.Delete(_procSys, recursive: true);

    private string Setting(string family, string ifname) => Path.Combine(_procSys, family, "conf", ifname, "forwarding");

    private void Seed(string family, string ifname)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Setting(family, ifname))!);
        File.WriteAllText(Setting(family, ifname), "1\n");
    }

    [Fact]
    public void Disable_WritesZeroForIPv4AndIPv6OfTheMeshInterfaceOnly()
    {
        Seed("ipv4", "mp0");
        Seed("ipv6", "mp0");
        Seed("ipv4", "eth0");

        Assert.Equal(2, InterfaceForwarding.Disable("mp0", NullLogger.Instance, _procSys));

        Assert.Equal("0\n", File.ReadAllText(Setting("ipv4", "mp0")));
        Assert.Equal("0\n", File.ReadAllText(Setting("ipv6", "mp0")));
        Assert.Equal("1\n", File.ReadAllText(Setting("ipv4", "eth0")));
    }

    [Fact]
    public void Disable_WhenIPv6IsMissing_StillTurnsIPv4OffAndCreatesNothing()
    {
        Seed("ipv4", "mp0");

        Assert.Equal(1, InterfaceForwarding.Disable("mp0", NullLogger.Instance, _procSys));

        Assert.Equal("0\n", File.ReadAllText(Setting("ipv4", "mp0")));
        Assert.False(File.Exists(Setting("ipv6", "mp0")));
    }
}
