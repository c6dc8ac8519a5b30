using MeshPorts.Contracts.Grammar;
using MeshPorts.Contracts.Node;
using Xunit;

namespace MeshPorts.Contracts.Tests.Grammar;

public sealed class PortTargetTests
{
    [Theory]
    [InlineData("db1:5432/tcp", "db1", 5432, PortProtocol.Tcp)]
    [InlineData("tag:db:5432/tcp", "tag:db", 5432, PortProtocol.Tcp)]
    [InlineData("dns:53/UDP", "dns", 53, PortProtocol.Udp)]
    [InlineData("web:65535/tcp", "web", 65535, PortProtocol.Tcp)]
    public void TryParse_ValidTargets_SplitAtTheLastColon(string text, string target, int port, PortProtocol protocol)
    {
        Assert.True(PortTarget.TryParse(text, out var parsed, out var error), error);
        Assert.Equal(target, parsed.Target.ToString());
        Assert.Equal(port, parsed.Port);
        Assert.Equal(protocol, parsed.Protocol);
    }

    [Theory]
    [InlineData("db1", "no port")]
    [InlineData(":5432/tcp", "no port")]
    [InlineData("db1:5432", "add /tcp or /udp")]
    [InlineData("db1:0/tcp", "1 to 65535")]
    [InlineData("db1:65536/tcp", "1 to 65535")]
    [InlineData("db1:+80/tcp", "1 to 65535")]
    [InlineData("db1:http/tcp", "1 to 65535")]
    [InlineData("db1:5432/sctp", "tcp or udp")]
    [InlineData("user:bob:22/tcp", "not a user")]
    [InlineData("Db1:22/tcp", "node name")]
    public void TryParse_Malformed_SaysWhatToFix(string text, string fix)
    {
        Assert.False(PortTarget.TryParse(text, out _, out var error));
        Assert.Contains(fix, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_IsTheCanonicalSpelling()
    {
        Assert.True(PortTarget.TryParse("tag:db:5432/TCP", out var target, out _));
        Assert.Equal("tag:db:5432/tcp", target.ToString());
    }

    [Fact]
    public void Protocols_CrossTheWireBothWaysAndUnspecifiedIsNotOne()
    {
        foreach (var protocol in new[] { PortProtocol.Tcp, PortProtocol.Udp })
        {
            Assert.True(PortProtocols.TryFromProto(protocol.ToProto(), out var back));
            Assert.Equal(protocol, back);
        }

        Assert.False(PortProtocols.TryFromProto(Protocol.Unspecified, out _));
        Assert.False(PortProtocols.TryFromProto((Protocol)7, out _));
    }
}
