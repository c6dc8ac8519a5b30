using MeshPorts.Node.Expose;

namespace MeshPorts.Node.Tests.Expose;

public sealed class ExposeOptionsTests
{
    [Fact]
    public void Validate_Defaults_Pass()
    {
        new ExposeOptions().Validate();
    }

    [Theory]
    [InlineData(nameof(ExposeOptions.RelayBufferSize))]
    [InlineData(nameof(ExposeOptions.MaxConnectionsPerPort))]
    [InlineData(nameof(ExposeOptions.MaxUdpSessionsPerPort))]
    [InlineData(nameof(ExposeOptions.ListenBacklog))]
    [InlineData(nameof(ExposeOptions.ConnectTimeout))]
    [InlineData(nameof(ExposeOptions.UdpSessionIdle))]
    public void Validate_WithLimitOutOfRange_NamesTheLimit(string name)
    {
        var options = new ExposeOptions();
        switch (name)
        {
            case nameof(ExposeOptions.RelayBufferSize): options.RelayBufferSize = 10; break;
            case nameof(ExposeOptions.MaxConnectionsPerPort): options.MaxConnectionsPerPort = 0; break;
            case nameof(ExposeOptions.MaxUdpSessionsPerPort): options.MaxUdpSessionsPerPort = 0; break;
            case nameof(ExposeOptions.ListenBacklog): options.ListenBacklog = 0; break;
            case nameof(ExposeOptions.ConnectTimeout): options.ConnectTimeout = TimeSpan.Zero; break;
            default: options.UdpSessionIdle = TimeSpan.FromSeconds(-1); break;
        }

        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public void Proxy_WithSamePortTwice_IsRejected()
    {
        var specs = new[] { ExposeSpec.Parse("5432/tcp"), ExposeSpec.Parse("5432/tcp=pg") };

        var error = Assert.Throws<ArgumentException>(() => new OverlayPortProxy("mp0", [System.Net.IPAddress.Parse("100.64.0.1")], specs));

        Assert.Contains("given twice", error.Message, StringComparison.Ordinal);
    }
}
