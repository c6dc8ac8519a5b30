using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Node.Cli;
using MeshPorts.Node.Daemon;
using MeshPorts.Node.Expose;

namespace MeshPorts.Node.Tests.Cli;

public sealed class UpArgumentsTests
{
    private static UsageException Refused(params string[] args) => Assert.Throws<UsageException>(() => UpArguments.ParseUp(args));

    [Fact]
    public void ParseUp_OnlyJoin_UsesProductDefaults()
    {
        var options = UpArguments.ParseUp(["--join", "mpj1_secret"]);

        Assert.Equal("mpj1_secret", options.Join);
        Assert.Equal("mp0", options.InterfaceName);
        Assert.Equal("/var/lib/meshports/mp0", options.StateDirectory);
        Assert.Equal((ushort)51820, options.ListenPort);
        Assert.Empty(options.Expose);
        Assert.Empty(options.Endpoints);
        Assert.Null(options.Name);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RotationWait);
    }

    [Fact]
    public void ParseUp_OtherInterface_MovesTheDefaultStateDirectoryWithIt()
    {
        var options = UpArguments.ParseUp(["--ifname", "mp7"]);

        Assert.Null(options.Join);
        Assert.Equal("/var/lib/meshports/mp7", options.StateDirectory);
    }

    [Fact]
    public void ParseUp_EveryOption_IsCarriedOver()
    {
        var options = UpArguments.ParseUp(
        [
            "--join", "j", "--name", "db", "--expose", "5432/tcp=postgres", "--expose", "53/udp", "--ifname", "mesh1",
            "--state", "/tmp/st", "--listen-port", "4000", "--endpoint", "192.0.2.10:4000", "--endpoint", "[2001:db8::1]:4000",
            "--rotation-wait", "90s",
        ]);

        Assert.Equal("db", options.Name);
        Assert.Equal([(5432, PortProtocol.Tcp, "postgres"), (53, PortProtocol.Udp, null)], options.Expose.Select(e => ((int)e.Port, e.Protocol, e.Service)));
        Assert.Equal("mesh1", options.InterfaceName);
        Assert.Equal("/tmp/st", options.StateDirectory);
        Assert.Equal((ushort)4000, options.ListenPort);
        Assert.Equal(["192.0.2.10:4000", "[2001:db8::1]:4000"], options.Endpoints);
        Assert.Equal(TimeSpan.FromSeconds(90), options.RotationWait);
    }

    [Fact]
    public void ParseUp_UnknownOption_PointsAtHelp()
    {
        var error = Refused("--join", "j", "--expsoe", "5432/tcp");

        Assert.Contains("'--expsoe'", error.Message, StringComparison.Ordinal);
        Assert.Contains("meshports-node up --help", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("http")]
    public void ParseUp_ListenPortOutOfRange_SaysWhichPortsAreValid(string port)
    {
        var error = Refused("--listen-port", port);

        Assert.Contains($"'{port}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("1-65535", error.Message, StringComparison.Ordinal);
        Assert.Contains("--listen-port 51820", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("5432")]
    [InlineData("5432/sctp")]
    [InlineData("70000/tcp")]
    public void ParseUp_BadExpose_ShowsHowToWriteIt(string spec)
    {
        var error = Refused("--expose", spec);

        Assert.Contains(spec, error.Message, StringComparison.Ordinal);
        Assert.Contains("/tcp", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseUp_BadExpose_NamesTheOptionOnce()
    {
        // UpArguments prefixes "--expose X:" to an ExposeSpec error that already starts with "--expose 'X':".
        var error = Refused("--expose", "5432");

        Assert.Equal(1, CountOf(error.Message, "--expose"));
    }

    [Fact]
    public void ParseUp_SamePortAndProtocolTwice_SaysToExposeItOnce()
    {
        var error = Refused("--expose", "5432/tcp", "--expose", "5432/tcp=pg");

        Assert.Contains("5432/tcp", error.Message, StringComparison.Ordinal);
        Assert.Contains("once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseUp_SamePortDifferentProtocols_IsAccepted()
    {
        var options = UpArguments.ParseUp(["--expose", "53/tcp", "--expose", "53/udp"]);

        Assert.Equal(2, options.Expose.Count);
    }

    [Theory]
    [InlineData("192.0.2.10")]
    [InlineData("192.0.2.10:0")]
    [InlineData("2001:db8::1:51820")]
    [InlineData("host name:51820")]
    public void ParseUp_BadEndpoint_ShowsAnExampleOfHostPort(string endpoint)
    {
        var error = Refused("--endpoint", endpoint);

        Assert.Contains($"'{endpoint}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("--endpoint 192.0.2.10:51820", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseUp_JoinAndJoinFile_SaysGiveOne()
    {
        var error = Refused("--join", "j", "--join-file", "/nonexistent");

        Assert.Contains("--join or --join-file, not both", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseUp_JoinFile_IsReadAndTrimmed()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "  mpj1_from_file\n");

            Assert.Equal("mpj1_from_file", UpArguments.ParseUp(["--join-file", path]).Join);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ParseUp_UnreadableJoinFile_NamesTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "meshports-no-such-" + Guid.NewGuid().ToString("N"));

        var error = Refused("--join-file", path);

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--join")]
    [InlineData("--expose")]
    [InlineData("--listen-port")]
    public void ParseUp_OptionWithoutValue_SaysItNeedsOne(string option)
    {
        var atEnd = Refused(option);
        var beforeNextOption = Refused(option, "--name", "db");

        Assert.Contains($"{option} needs a value", atEnd.Message, StringComparison.Ordinal);
        Assert.Contains($"{option} needs a value", beforeNextOption.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("11m")]
    [InlineData("soon")]
    public void ParseUp_BadRotationWait_GivesAnExample(string wait)
    {
        var error = Refused("--rotation-wait", wait);

        Assert.Contains("e.g. 30s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseUp_Help_ThrowsHelpWithTheUsage()
    {
        var help = Assert.Throws<HelpRequestedException>(() => UpArguments.ParseUp(["--help"]));

        Assert.Contains("--expose 5432/tcp", help.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseLocal_StatusHelp_IsRealHelpLikeUps()
    {
        var help = Assert.Throws<HelpRequestedException>(() => UpArguments.ParseLocal("status", ["--help"]));

        Assert.StartsWith("Usage: meshports-node status [--ifname mp0] [--json]", help.Message, StringComparison.Ordinal);
        Assert.Contains("--ifname mp0", help.Message.Split('\n')[2..].First(l => l.Contains("--ifname", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("--json ", help.Message, StringComparison.Ordinal);
        Assert.Contains("keyExpiresAt", help.Message, StringComparison.Ordinal);
        Assert.Contains("2026-11-29T06:00:00Z", help.Message, StringComparison.Ordinal);
        Assert.Contains("Exit codes", help.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseLocal_JsonOnlyForStatus()
    {
        Assert.Equal(("mp3", true), UpArguments.ParseLocal("status", ["--ifname", "mp3", "--json"]));
        Assert.Equal(("mp0", false), UpArguments.ParseLocal("down", []));

        var error = Assert.Throws<UsageException>(() => UpArguments.ParseLocal("down", ["--json"]));
        Assert.Contains("meshports-node down --help", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UpOptions_Defaults_MatchTheProduct()
    {
        var options = new UpOptions();

        Assert.Equal("mp0", options.InterfaceName);
        Assert.Equal("/var/lib/meshports/mp0", options.StateDirectory);
        Assert.Equal((ushort)51820, options.ListenPort);
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
