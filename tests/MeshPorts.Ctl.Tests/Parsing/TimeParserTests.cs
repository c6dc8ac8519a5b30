using MeshPorts.Contracts.Cli;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Parsing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace MeshPorts.Ctl.Tests.Parsing;

public class TimeParserTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 29, 6, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("2026-11-29T06:00:00Z")]
    [InlineData("2026-11-29t06:00:00z")]
    [InlineData("2026-11-29T07:00:00+01:00")]
    [InlineData("2026-11-29T01:30:00-04:30")]
    public void TryParse_Rfc3339_GivesUtcInstant(string text)
    {
        Assert.True(TimeParser.TryParse(text, out var time));
        Assert.Equal(s_now, time);
        Assert.Equal(TimeSpan.Zero, time.Offset);
    }

    [Fact]
    public void TryParse_FractionalSeconds_AreKept()
    {
        Assert.True(TimeParser.TryParse("2026-11-29T06:00:00.250Z", out var time));
        Assert.Equal(s_now.AddMilliseconds(250), time);
    }

    [Theory]
    [InlineData("2026-11-29T06:00:00")]
    [InlineData("2026-11-29")]
    [InlineData("06:00")]
    [InlineData("yesterday")]
    [InlineData("2026-13-01T00:00:00Z")]
    public void TryParse_WithoutOffsetOrMalformed_IsRejected(string text)
    {
        Assert.False(TimeParser.TryParse(text, out _));
    }

    [Fact]
    public void ParseSince_Duration_MeansThatLongAgo()
    {
        var clock = new FakeTimeProvider(s_now);
        Assert.Equal(s_now.AddHours(-1), TimeParser.ParseSince("--since", "1h", clock));
    }

    [Fact]
    public void ParseAt_Now_IsTheClock()
    {
        var clock = new FakeTimeProvider(s_now);
        Assert.Equal(s_now, TimeParser.ParseAt("--at", "now", clock));
    }

    [Fact]
    public void ParseAt_Garbage_IsUsageErrorWithExample()
    {
        var ex = Assert.Throws<UsageException>(() => TimeParser.ParseAt("--at", "tomorrow", new FakeTimeProvider(s_now)));
        Assert.Contains("2026-11-29T06:00:00Z", ex.Message);
    }

    [Fact]
    public void Format_IsRfc3339Utc()
    {
        Assert.Equal("2026-11-29T06:00:00Z", TimeParser.Format(s_now.ToOffset(TimeSpan.FromHours(2))));
    }
}
