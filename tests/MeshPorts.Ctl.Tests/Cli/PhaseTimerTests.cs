using MeshPorts.Ctl.Cli;
using Xunit;

namespace MeshPorts.Ctl.Tests.Cli;

public class PhaseTimerTests
{
    [Fact]
    public void Report_ListsPhasesInTheOrderReached_FirstMarkWins()
    {
        var timer = new PhaseTimer(startupMs: 12.5);
        timer.Mark("connect");
        Thread.Sleep(20);
        timer.Mark("rpc");
        timer.Mark("connect");

        var report = timer.Report();

        Assert.Matches(@"^meshctl: timing startup 12\.5 ms, connect [0-9.]+ ms, rpc (?<rpc>[0-9.]+) ms, output [0-9.]+ ms, total [0-9.]+ ms$", report);
        var rpc = double.Parse(System.Text.RegularExpressions.Regex.Match(report, @"rpc ([0-9.]+) ms").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(rpc, 15, 5000);
    }

    [Fact]
    public void Report_LeavesOutPhasesNeverReached()
    {
        var report = new PhaseTimer(startupMs: 3).Report();
        Assert.Matches(@"^meshctl: timing startup 3\.0 ms, output [0-9.]+ ms, total [0-9.]+ ms$", report);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("0", false)]
    [InlineData("yes", false)]
    [InlineData("1", true)]
    public void FromEnvironment_IsOnOnlyForOne(string? value, bool on)
    {
        var timer = PhaseTimer.FromEnvironment(name => name == PhaseTimer.Variable ? value : null);
        Assert.Equal(on, timer is not null);
    }

    [Fact]
    public async Task CtlApp_WithTracing_WritesTheReportToStderr()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CtlApp.RunAsync(
            ["nodes", "list"], output, error, name => name == PhaseTimer.Variable ? "1" : null, TimeProvider.System,
            CancellationToken.None, _ => new FakeAdminApi());

        Assert.Equal(0, code);
        Assert.Contains("NAME", output.ToString());
        Assert.StartsWith("meshctl: timing startup ", error.ToString());
    }
}
