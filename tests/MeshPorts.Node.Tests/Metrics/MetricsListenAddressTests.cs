using MeshPorts.Contracts.Cli;
using MeshPorts.Node.Cli;

namespace MeshPorts.Node.Tests.Metrics;

public sealed class MetricsListenAddressTests
{
    [Fact]
    public void Up_WithoutTheFlag_ServesNoMetrics() => Assert.Null(UpArguments.ParseUp(["--join", "mpj1_x"]).MetricsListen);

    [Theory]
    [InlineData("127.0.0.1:9586", "127.0.0.1:9586")]
    [InlineData("0.0.0.0:9586", "0.0.0.0:9586")]
    [InlineData("[::1]:9586", "[::1]:9586")]
    public void Up_TakesAnIpAndPort(string value, string expected) =>
        Assert.Equal(expected, UpArguments.ParseUp(["--join", "mpj1_x", "--metrics-listen", value]).MetricsListen!.ToString());

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("localhost:9586")]
    [InlineData("::1:9586")]
    [InlineData("9586")]
    [InlineData("")]
    public void Up_RefusesWhatIsNotIpColonPort_NamingTheFix(string value)
    {
        var error = Assert.Throws<UsageException>(() => UpArguments.ParseUp(["--join", "mpj1_x", "--metrics-listen", value]));

        Assert.Contains("--metrics-listen 127.0.0.1:9586", error.Message, StringComparison.Ordinal);
    }
}
