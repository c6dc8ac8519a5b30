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

    [Fact]
    public async Task ListenPortInUse_ExitsOneWithOneLineNamingTheFix()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var dir = Directory.CreateTempSubdirectory("mp-inuse-");
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();

            var code = await CoordinatorProgram.RunAsync(
                ["--data", dir.FullName, "--listen", $"127.0.0.1:{port}", "--public-url", $"https://127.0.0.1:{port}"], output, error, _ => null);

            Assert.Equal(1, code);
            var lines = error.ToString().TrimEnd().Split('\n');
            Assert.Single(lines);
            Assert.Contains($"--listen 127.0.0.1:{port} is free", lines[0], StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output.ToString() + error, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
