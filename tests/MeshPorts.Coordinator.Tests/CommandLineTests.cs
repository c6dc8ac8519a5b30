using MeshPorts.Contracts.Cli;
using MeshPorts.Coordinator.Cli;

namespace MeshPorts.Coordinator.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void Parse_Defaults_MatchProduct()
    {
        var o = CommandLine.Parse([])!;
        Assert.Equal("/var/lib/meshports-coordinator", o.DataDir);
        Assert.Equal(7443, o.Listen.Port);
        Assert.Equal(TimeSpan.FromHours(24), o.MaxGrantDuration);
        Assert.Equal(TimeSpan.FromHours(1), o.KeyLifetime);
        Assert.Equal(TimeSpan.FromDays(7), o.MaxTokenTtl);
    }

    [Fact]
    public void Parse_MaxTokenTtl_SetsTheCap()
    {
        Assert.Equal(TimeSpan.FromHours(12), CommandLine.Parse(["--max-token-ttl", "12h"])!.MaxTokenTtl);
        Assert.Contains("--max-token-ttl", CommandLine.Usage, StringComparison.Ordinal);
        var ex = Assert.Throws<UsageException>(() => CommandLine.Parse(["--max-token-ttl=soon"]));
        Assert.Contains("duration", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bogus", "unknown option")]
    [InlineData("--listen", "needs a value")]
    [InlineData("--listen=nope", "ADDRESS:PORT")]
    [InlineData("--public-url=http://x:1", "https://")]
    [InlineData("--store=postgres:host=x", "use --store sqlite:PATH")]
    [InlineData("--max-grant=forever", "duration")]
    public void Parse_BadArguments_NameTheFix(string arg, string expected)
    {
        var ex = Assert.Throws<UsageException>(() => CommandLine.Parse([arg]));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Parse_Help_ReturnsNull() => Assert.Null(CommandLine.Parse(["--help"]));
}
