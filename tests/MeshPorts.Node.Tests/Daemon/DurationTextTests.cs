using MeshPorts.Node.Cli;

namespace MeshPorts.Node.Tests.Daemon;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("90s", 90_000)]
    [InlineData("10m", 600_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("24h", 86_400_000)]
    [InlineData("500ms", 500)]
    [InlineData(" 30s ", 30_000)]
    [InlineData("0s", 0)]
    public void TryParse_ProductDurations_GiveTheirLength(string text, long milliseconds)
    {
        Assert.True(DurationText.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("s")]
    [InlineData("ms")]
    [InlineData("-5s")]
    [InlineData("1.5h")]
    [InlineData("1d")]
    [InlineData("10S")]
    [InlineData("1h30m")]
    [InlineData("1000001s")]
    public void TryParse_AnythingElse_IsRefused(string? text)
    {
        Assert.False(DurationText.TryParse(text, out _));
    }
}
