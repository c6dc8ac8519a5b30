using MeshPorts.Contracts.Cli;
using MeshPorts.Node.Cli;

namespace MeshPorts.Node.Tests.Cli;

public sealed class UpStunArgumentsTests
{
    [Fact]
    public void ParseUp_NoStun_AsksTheDefaultServersOnly()
    {
        var options = UpArguments.ParseUp(["--join", "j"]);

        Assert.True(options.Stun);
        Assert.Empty(options.StunServers);
    }

    [Fact]
    public void ParseUp_StunServers_AreKeptInOrder()
    {
        var options = UpArguments.ParseUp(["--stun", "stun.example.net:3478", "--stun", "192.0.2.5:3478", "--stun", "[2001:db8::5]:3478"]);

        Assert.True(options.Stun);
        Assert.Equal(["stun.example.net:3478", "192.0.2.5:3478", "[2001:db8::5]:3478"], options.StunServers);
    }

    [Fact]
    public void ParseUp_StunOff_TurnsStunOff()
    {
        var options = UpArguments.ParseUp(["--stun", "off"]);

        Assert.False(options.Stun);
        Assert.Empty(options.StunServers);
    }

    [Theory]
    [InlineData("stun.example.net")]
    [InlineData("192.0.2.5:0")]
    [InlineData("2001:db8::5:3478")]
    [InlineData("stun.example.net:70000")]
    [InlineData("on")]
    public void ParseUp_BadStun_IsRefusedNamingTheFix(string value)
    {
        var error = Assert.Throws<UsageException>(() => UpArguments.ParseUp(["--stun", value]));

        Assert.Contains($"--stun '{value}' is not HOST:PORT; write e.g. --stun stun.example.net:3478", error.Message, StringComparison.Ordinal);
        Assert.Contains("or --stun off", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseUp_StunWithoutValue_SaysItNeedsOne()
    {
        var error = Assert.Throws<UsageException>(() => UpArguments.ParseUp(["--stun"]));

        Assert.Contains("--stun needs a value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseUp_StunOffWithAServer_IsRefused()
    {
        var error = Assert.Throws<UsageException>(() => UpArguments.ParseUp(["--stun", "off", "--stun", "192.0.2.5:3478"]));

        Assert.Contains("--stun off asks no STUN server", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UpHelp_DescribesStun()
    {
        var help = Assert.Throws<HelpRequestedException>(() => UpArguments.ParseUp(["--help"]));

        Assert.Contains("[--stun HOST:PORT|off]", help.Message, StringComparison.Ordinal);
        Assert.Contains("--stun HOST:PORT      another STUN server", help.Message, StringComparison.Ordinal);
        Assert.Contains("--stun off asks none", help.Message, StringComparison.Ordinal);
    }
}
