using MeshPorts.Contracts.Cli;
using MeshPorts.Coordinator.Cli;

namespace MeshPorts.Coordinator.Tests;

public sealed class DnsSuffixTests
{
    [Fact]
    public void Parse_DnsSuffix_DefaultsToMeshAndIsLowercased()
    {
        Assert.Equal("mesh", CommandLine.Parse([])!.DnsSuffix);
        Assert.Equal("corp.internal", CommandLine.Parse(["--dns-suffix", "Corp.Internal."])!.DnsSuffix);
        Assert.Contains("--dns-suffix", CommandLine.Usage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-mesh")]
    [InlineData("mesh-")]
    [InlineData("me_sh")]
    [InlineData("a..b")]
    [InlineData(".")]
    public void Parse_BadDnsSuffix_NamesTheFix(string value)
    {
        var ex = Assert.Throws<UsageException>(() => CommandLine.Parse(["--dns-suffix", value]));
        Assert.Contains("--dns-suffix", ex.Message, StringComparison.Ordinal);
        Assert.Contains("e.g.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TooLongLabelOrName_IsRefused()
    {
        Assert.Throws<UsageException>(() => CommandLine.Parse(["--dns-suffix", new string('a', 64)]));
        Assert.Throws<UsageException>(() => CommandLine.Parse(["--dns-suffix", string.Join('.', Enumerable.Repeat(new string('a', 63), 4))]));
        Assert.Equal(new string('a', 63), CommandLine.Parse(["--dns-suffix", new string('a', 63)])!.DnsSuffix);
    }
}
