using MeshPorts.Contracts.Grammar;
using Xunit;

namespace MeshPorts.Contracts.Tests.Grammar;

/// <summary>
/// The one duration grammar meshctl, the coordinator and the node share. These cases were three test
/// files that disagreed (meshctl took compounds and days, the node milliseconds, the coordinator neither);
/// now every spelling one of them took is taken by all.
/// </summary>
public sealed class DurationTextTests
{
    [Theory]
    [InlineData("90s", 90_000)]
    [InlineData("10m", 600_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("24h", 86_400_000)]
    [InlineData("2d", 172_800_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1h0m5s", 3_605_000)]
    [InlineData("500ms", 500)]
    [InlineData("1s500ms", 1_500)]
    [InlineData("1m5s", 65_000)]
    [InlineData(" 30s ", 30_000)]
    [InlineData("0s", 0)]
    [InlineData("366d", 31_622_400_000)]
    public void TryParse_ProductForms_GiveTheirLength(string text, long milliseconds)
    {
        Assert.True(DurationText.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("10")]
    [InlineData("h")]
    [InlineData("s")]
    [InlineData("ms")]
    [InlineData("1x")]
    [InlineData("-1h")]
    [InlineData("-5s")]
    [InlineData("1.5h")]
    [InlineData("1 h")]
    [InlineData("1H")]
    [InlineData("10S")]
    [InlineData("1h30")]
    [InlineData("367d")]
    [InlineData("366d1ms")]
    [InlineData("9999999999h")]
    [InlineData("999999999d")]
    [InlineData("999999999h")]
    [InlineData("999999999m")]
    [InlineData("300d300d")]
    public void TryParse_AnythingElse_IsRefused(string? text)
    {
        Assert.False(DurationText.TryParse(text, out _));
    }

    [Theory]
    [InlineData(90_000, "1m30s")]
    [InlineData(3_600_000, "1h")]
    [InlineData(86_400_000, "24h")]
    [InlineData(604_800_000, "168h")]
    [InlineData(5_000, "5s")]
    [InlineData(1_500, "1s500ms")]
    [InlineData(0, "0s")]
    public void Format_IsTheShortestSpellingAndParsesBack(long milliseconds, string expected)
    {
        var text = DurationText.Format(TimeSpan.FromMilliseconds(milliseconds));
        Assert.Equal(expected, text);
        Assert.True(DurationText.TryParse(text, out var back));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), back);
    }

    [Theory]
    [InlineData(9_209.8062, "9.2s")]
    [InlineData(30_000, "30s")]
    [InlineData(500, "0.5s")]
    [InlineData(0, "0s")]
    [InlineData(59_940, "59.9s")]
    [InlineData(150_400, "2m30s")]
    [InlineData(3_600_000, "1h")]
    public void FormatApproximate_IsWhatALogLineShows(double milliseconds, string expected)
    {
        Assert.Equal(expected, DurationText.FormatApproximate(TimeSpan.FromMilliseconds(milliseconds)));
    }
}
