using MeshPorts.Node.Cli;
using Microsoft.Extensions.Logging.Console;

namespace MeshPorts.Node.Tests.Cli;

public sealed class LogColorTests
{
    private static Func<string, string?> Env(string? noColor) => name => name == "NO_COLOR" ? noColor : null;

    [Fact]
    public void LogColor_OnATerminal_WithoutNoColor_IsOn()
    {
        Assert.Equal(LoggerColorBehavior.Enabled, NodeCli.LogColor(stderrIsTerminal: true, Env(null)));
        Assert.Equal(LoggerColorBehavior.Enabled, NodeCli.LogColor(stderrIsTerminal: true, Env(string.Empty)));
    }

    [Fact]
    public void LogColor_ToAFileOrPipe_IsOff()
    {
        Assert.Equal(LoggerColorBehavior.Disabled, NodeCli.LogColor(stderrIsTerminal: false, Env(null)));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    [InlineData("0")]
    public void LogColor_WithNoColorSet_IsOffEvenOnATerminal(string value)
    {
        Assert.Equal(LoggerColorBehavior.Disabled, NodeCli.LogColor(stderrIsTerminal: true, Env(value)));
    }
}
