using MeshPorts.Coordinator.Hosting;
using Microsoft.Extensions.Logging.Console;

namespace MeshPorts.Coordinator.Tests;

public sealed class LogColorTests
{
    private static Func<string, string?> Env(string? noColor) => name => name == "NO_COLOR" ? noColor : null;

    [Fact]
    public void LogColor_OnATerminal_WithoutNoColor_IsOn()
    {
        Assert.Equal(LoggerColorBehavior.Enabled, CoordinatorHost.LogColor(stdoutIsTerminal: true, Env(null)));
    }

    [Fact]
    public void LogColor_ToAFileOrPipe_IsOff()
    {
        Assert.Equal(LoggerColorBehavior.Disabled, CoordinatorHost.LogColor(stdoutIsTerminal: false, Env(null)));
    }

    [Fact]
    public void LogColor_WithNoColorSet_IsOffEvenOnATerminal()
    {
        Assert.Equal(LoggerColorBehavior.Disabled, CoordinatorHost.LogColor(stdoutIsTerminal: true, Env("1")));
    }
}
