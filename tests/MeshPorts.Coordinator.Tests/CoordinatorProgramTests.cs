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
}
