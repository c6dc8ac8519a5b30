using MeshPorts.Contracts.Cli;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Parsing;
using Xunit;

namespace MeshPorts.Ctl.Tests.Parsing;

/// <summary>The grammar itself is tested in MeshPorts.Contracts.Tests; here, what meshctl says about it.</summary>
public class DurationOptionTests
{
    [Fact]
    public void ParseOption_Zero_IsUsageErrorNamingTheOption()
    {
        var ex = Assert.Throws<UsageException>(() => OptionText.Duration("--for", "0s"));
        Assert.Contains("--for", ex.Message);
    }

    [Fact]
    public void ParseOption_Garbage_ShowsAcceptedForms()
    {
        var ex = Assert.Throws<UsageException>(() => OptionText.Duration("--ttl", "soon"));
        Assert.Contains("90s, 10m, 1h, 24h", ex.Message);
    }
}
