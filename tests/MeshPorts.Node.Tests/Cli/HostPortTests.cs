using MeshPorts.Node.Cli;


namespace MeshPorts.Node.Tests.Cli;

public sealed class HostPortTests
{
    [Theory]
    [InlineData("192.0.2.10:51820")]
    [InlineData("[2001:db8::1]:51820")]
    [InlineData("db.example.com:51820")]
    [InlineData("localhost:1")]
    [InlineData("host:65535")]
    public void IsValid_HostAndPort_IsAccepted(string text)
    {
        Assert.True(HostPort.IsValid(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("192.0.2.10")]
    [InlineData("192.0.2.10:0")]
    [InlineData("2001:db8::1")]
    [InlineData("2001:db8::1:51820")]
    [InlineData("[2001:db8::1]")]
    [InlineData("host:65536")]
    [InlineData("host:")]
    [InlineData(":51820")]
    [InlineData("bad host:51820")]
    [InlineData("host:port")]
    public void IsValid_WithoutAUsablePortOrHost_IsRefused(string? text)
    {
        Assert.False(HostPort.IsValid(text));
    }
}
