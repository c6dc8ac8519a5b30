using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Parsing;
using Xunit;

namespace MeshPorts.Ctl.Tests.Parsing;

public class DurationParserTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("10m", 600)]
    [InlineData("1h", 3600)]
    [InlineData("24h", 86400)]
    [InlineData("2d", 172800)]
    [InlineData("1h30m", 5400)]
    [InlineData("1h0m5s", 3605)]
    public void TryParse_ProductForms_GiveSeconds(string text, int seconds)
    {
        Assert.True(DurationParser.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("h")]
    [InlineData("1x")]
    [InlineData("-1h")]
    [InlineData("1.5h")]
    [InlineData("1 h")]
    [InlineData("1H")]
    [InlineData("367d")]
    [InlineData("9999999999h")]
    public void TryParse_Malformed_IsRejected(string text)
    {
        Assert.False(DurationParser.TryParse(text, out _));
    }

    [Fact]
    public void ParseOption_Zero_IsUsageErrorNamingTheOption()
    {
        var ex = Assert.Throws<UsageException>(() => DurationParser.ParseOption("--for", "0s"));
        Assert.Contains("--for", ex.Message);
    }

    [Fact]
    public void ParseOption_Garbage_ShowsAcceptedForms()
    {
        var ex = Assert.Throws<UsageException>(() => DurationParser.ParseOption("--ttl", "soon"));
        Assert.Contains("90s, 10m, 1h, 24h", ex.Message);
    }

    [Theory]
    [InlineData(90, "1m30s")]
    [InlineData(3600, "1h")]
    [InlineData(86400, "24h")]
    [InlineData(5, "5s")]
    public void Format_RoundTripsThroughParse(int seconds, string expected)
    {
        var text = DurationParser.Format(TimeSpan.FromSeconds(seconds));
        Assert.Equal(expected, text);
        Assert.True(DurationParser.TryParse(text, out var back));
        Assert.Equal(TimeSpan.FromSeconds(seconds), back);
    }
}
