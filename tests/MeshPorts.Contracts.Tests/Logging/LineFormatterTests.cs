using MeshPorts.Contracts.Logging;
using Microsoft.Extensions.Logging;
using Xunit;

namespace MeshPorts.Contracts.Tests.Logging;

public sealed class LineFormatterTests
{
    private static readonly Action<ILogger, Exception?> s_connected =
        LoggerMessage.Define(LogLevel.Information, new EventId(1), "connected");

    private static readonly DateTimeOffset s_now = new(2026, 12, 2, 3, 20, 21, 123, TimeSpan.Zero);

    [Fact]
    public void Event_IsOneLineWithUtcTimeLevelAndShortCategory()
    {
        var line = LineFormatter.FormatLine(LogLevel.Information, "MeshPorts.Node.Device.Device", "peer added", null, s_now, new LineFormatterOptions());

        Assert.Equal("2026-12-02T03:20:21.123Z info  device: peer added\n", line);
    }

    [Fact]
    public void Exception_AddsTypeAndMessageButNoStackTraceAboveDebug()
    {
        var error = Thrown(new IOException("address already in use"));

        var line = LineFormatter.FormatLine(LogLevel.Error, "meshports.up", "cannot bind 51820/udp", error, s_now, new LineFormatterOptions());

        Assert.Equal("2026-12-02T03:20:21.123Z error up: cannot bind 51820/udp (IOException: address already in use)\n", line);
    }

    [Fact]
    public void Exception_AtDebug_AddsTheStackTraceIndentedOnTheLinesAfter()
    {
        var error = Thrown(new InvalidOperationException("boom"));

        var text = LineFormatter.FormatLine(LogLevel.Error, "MeshPorts.State", "recompute failed", error, s_now, new LineFormatterOptions { StackTraces = true });

        var lines = text.TrimEnd('\n').Split('\n');
        Assert.StartsWith("2026-12-02T03:20:21.123Z error state: recompute failed (InvalidOperationException: boom)", lines[0], StringComparison.Ordinal);
        Assert.True(lines.Length > 2);
        Assert.All(lines[1..], l => Assert.StartsWith("    ", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(nameof(Thrown), StringComparison.Ordinal));
    }

    [Fact]
    public void Newlines_InAMessage_CannotStartAFakeEvent()
    {
        var line = LineFormatter.FormatLine(LogLevel.Warning, "x", "name 'a\n2026-12-02T00:00:00.000Z info  admin: forged'", null, s_now, new LineFormatterOptions());

        Assert.Single(line.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void EscapeSequences_InAMessage_CannotRepaintTheTerminal()
    {
        var line = LineFormatter.FormatLine(LogLevel.Warning, "enroll", "refused name '\u001b[2J\u001b[32mok\u0007\u007f'", null, s_now, new LineFormatterOptions());

        Assert.Equal("2026-12-02T03:20:21.123Z warn  enroll: refused name '\\u001b[2J\\u001b[32mok\\u0007\\u007f'\n", line);
        Assert.DoesNotContain('\u001b', line);
    }

    [Theory]
    [InlineData(LogLevel.Debug, "<7>")]
    [InlineData(LogLevel.Information, "<6>")]
    [InlineData(LogLevel.Warning, "<4>")]
    [InlineData(LogLevel.Error, "<3>")]
    [InlineData(LogLevel.Critical, "<2>")]
    public void UnderJournald_ThePriorityPrefixReplacesTimeAndLevel(LogLevel level, string prefix)
    {
        var line = LineFormatter.FormatLine(level, "MeshPorts.Coordinator", "listening", null, s_now, new LineFormatterOptions { Journal = true, Color = true });

        Assert.Equal(prefix + "coordinator: listening\n", line);
    }

    [Fact]
    public void Colour_WrapsOnlyTheLevelWord()
    {
        var line = LineFormatter.FormatLine(LogLevel.Warning, "agent", "slow", null, s_now, new LineFormatterOptions { Color = true });

        Assert.Equal("2026-12-02T03:20:21.123Z \u001b[33mwarn \u001b[0m agent: slow\n", line);
    }

    [Fact]
    public void ThroughALoggerFactory_TheConsoleUsesTheFormatter()
    {
        var original = Console.Out;
        using var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            using (var factory = LoggerFactory.Create(b => b.AddLineConsole(LogLevel.Information, toStandardError: false, color: false, _ => null)))
            {
                s_connected(factory.CreateLogger("MeshPorts.Node.Agent"), null);
            }
        }
        finally
        {
            Console.SetOut(original);
        }

        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info  agent: connected\n$", captured.ToString().ReplaceLineEndings("\n"));
    }

    private static Exception Thrown(Exception error)
    {
        try
        {
            throw error;
        }
        catch (Exception caught)
        {
            return caught;
        }
    }
}
