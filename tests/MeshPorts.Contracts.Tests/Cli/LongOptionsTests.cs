using Xunit;
using MeshPorts.Contracts.Cli;

namespace MeshPorts.Contracts.Tests.Cli;

public sealed class LongOptionsTests
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal) { "--listen", "--data" };

    [Fact]
    public void BothSpellings_GiveThePairsInOrder()
    {
        var pairs = LongOptions.Read(["--listen", "0.0.0.0:443", "--data=/var/x", "--listen=[::]:1"], Known);
        Assert.Equal([("--listen", "0.0.0.0:443"), ("--data", "/var/x"), ("--listen", "[::]:1")], pairs);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Help_AnywhereAsksForTheUsage(string help) =>
        Assert.Null(LongOptions.Read(["--listen", "1.2.3.4:5", help], Known));

    [Fact]
    public void AnUnknownOption_IsNamed()
    {
        var error = Assert.Throws<UsageException>(() => LongOptions.Read(["--lisen", "x"], Known));
        Assert.Equal("unknown option '--lisen'; see --help", error.Message);
    }

    [Fact]
    public void AMissingValue_SaysSo()
    {
        var error = Assert.Throws<UsageException>(() => LongOptions.Read(["--data"], Known));
        Assert.Equal("--data needs a value; see --help", error.Message);
    }

    [Fact]
    public void AValueThatLooksLikeAnOption_IsStillTheValue() =>
        Assert.Equal([("--data", "--listen")], LongOptions.Read(["--data", "--listen"], Known));
}
