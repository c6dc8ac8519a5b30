using MeshPorts.Coordinator.Cli;
using MeshPorts.Coordinator.Hosting;

namespace MeshPorts.Coordinator.Tests;

public sealed class CoordinatorProgramTests
{
    [Theory]
    [InlineData("--version")]
    [InlineData("version")]
    public async Task Version_PrintsTheVersionAndExitsZero_AsMeshctlDoes(string arg)
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await CoordinatorProgram.RunAsync([arg], output, error);

        Assert.Equal(0, code);
        Assert.Matches(@"^meshports-coordinator \d+\.\d+", output.ToString());
        Assert.Empty(error.ToString());
    }

    [Fact]
    public void Usage_ListsVersion()
    {
        Assert.Contains("--version", CommandLine.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadLogLevel_ExitsTwoNamingTheWords()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await CoordinatorProgram.RunAsync([], output, error, name => name == "LOG_LEVEL" ? "loud" : null);

        Assert.Equal(2, code);
        Assert.Contains("LOG_LEVEL 'loud' is not one of verbose, debug, info", error.ToString(), StringComparison.Ordinal);
    }
}
