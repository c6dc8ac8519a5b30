using MeshPorts.Contracts.Cli;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Parsing;
using Xunit;

namespace MeshPorts.Ctl.Tests.Parsing;

public class PortTargetTests
{
    [Theory]
    [InlineData("db1:5432/tcp", "Node", "db1", 5432, "Tcp")]
    [InlineData("tag:db:5432/tcp", "Tag", "db", 5432, "Tcp")]
    [InlineData("dns:53/udp", "Node", "dns", 53, "Udp")]
    [InlineData("web:65535/TCP", "Node", "web", 65535, "Tcp")]
    public void Parse_ValidTargets_SplitAtTheLastColon(string text, string kind, string name, int port, string protocol)
    {
        var target = OptionText.PortTarget("--to", text);
        Assert.Equal(kind, target.Target.Kind.ToString());
        Assert.Equal(name, target.Target.Name);
        Assert.Equal(port, target.Port);
        Assert.Equal(protocol, target.Protocol.ToString());
    }

    [Theory]
    [InlineData("db1", "no port")]
    [InlineData("db1:5432", "add /tcp or /udp")]
    [InlineData("db1:0/tcp", "1 to 65535")]
    [InlineData("db1:65536/tcp", "1 to 65535")]
    [InlineData("db1:http/tcp", "1 to 65535")]
    [InlineData("db1:5432/sctp", "tcp or udp")]
    [InlineData(":5432/tcp", "no port")]
    [InlineData("user:bob:22/tcp", "not a user")]
    [InlineData("Db1:22/tcp", "node name")]
    public void Parse_Malformed_SaysWhatToFix(string text, string fix)
    {
        var ex = Assert.Throws<UsageException>(() => OptionText.PortTarget("--to", text));
        Assert.Contains(fix, ex.Message);
    }

    [Fact]
    public void ToString_IsTheCanonicalSpelling()
    {
        Assert.Equal("tag:db:5432/tcp", OptionText.PortTarget("--to", "tag:db:5432/TCP").ToString());
    }
}
