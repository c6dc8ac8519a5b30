using MeshPorts.Contracts.Grammar;
using MeshPorts.Node.Expose;

namespace MeshPorts.Node.Tests.Expose;

public sealed class ExposeSpecTests
{
    [Theory]
    [InlineData("5432/tcp", 5432, "tcp", null)]
    [InlineData("53/udp", 53, "udp", null)]
    [InlineData("1/tcp", 1, "tcp", null)]
    [InlineData("65535/udp", 65535, "udp", null)]
    [InlineData("8080/TCP", 8080, "tcp", null)]
    [InlineData("5432/tcp=postgres", 5432, "tcp", "postgres")]
    [InlineData("9000/udp=metrics-2", 9000, "udp", "metrics-2")]
    public void Parse_WithValidSpec_ReturnsPortProtocolAndService(string text, int port, string protocol, string? service)
    {
        var spec = ExposeSpec.Parse(text);

        Assert.Equal(port, spec.Port);
        Assert.Equal(protocol, spec.ProtocolName);
        Assert.Equal(service, spec.Service);
    }

    [Fact]
    public void Parse_ServiceOf63Characters_IsAccepted()
    {
        var name = new string('a', 63);

        Assert.Equal(name, ExposeSpec.Parse($"22/tcp={name}").Service);
    }

    [Fact]
    public void ToString_RoundTripsThroughParse()
    {
        Assert.Equal("5432/tcp=postgres", ExposeSpec.Parse("5432/TCP=postgres").ToString());
        Assert.Equal("53/udp", ExposeSpec.Parse("53/udp").ToString());
    }

    [Theory]
    [InlineData("", "'5432/tcp'")]
    [InlineData("5432", "'5432/tcp'")]
    [InlineData("0/tcp", "1 to 65535")]
    [InlineData("65536/tcp", "1 to 65535")]
    [InlineData("99999999999/tcp", "1 to 65535")]
    [InlineData("-1/tcp", "1 to 65535")]
    [InlineData("+80/tcp", "1 to 65535")]
    [InlineData(" 80/tcp", "1 to 65535")]
    [InlineData("http/tcp", "1 to 65535")]
    [InlineData("/tcp", "1 to 65535")]
    [InlineData("5432/sctp", "'tcp' or 'udp'")]
    [InlineData("5432/", "'tcp' or 'udp'")]
    [InlineData("5432/tcp/udp", "'tcp' or 'udp'")]
    [InlineData("5432/tcp=", "1-63 characters")]
    [InlineData("5432/tcp=Postgres", "lowercase")]
    [InlineData("5432/tcp=pg_main", "lowercase")]
    [InlineData("5432/tcp=a=b", "lowercase")]
    [InlineData("5432/tcp=pg main", "lowercase")]
    public void Parse_WithInvalidSpec_ThrowsFormatExceptionThatNamesTheFix(string text, string hint)
    {
        var error = Assert.Throws<FormatException>(() => ExposeSpec.Parse(text));

        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("--expose '", error.Message, StringComparison.Ordinal);
        Assert.False(ExposeSpec.TryParse(text, out var spec, out var message));
        Assert.Null(spec);
        Assert.Equal(error.Message, message);
    }

    [Fact]
    public void Parse_ServiceOf64Characters_IsRejected()
    {
        var error = Assert.Throws<FormatException>(() => ExposeSpec.Parse($"22/tcp={new string('a', 64)}"));

        Assert.Contains("1-63 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_WithPortZero_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExposeSpec(0, PortProtocol.Tcp));
    }
}
