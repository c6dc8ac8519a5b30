using MeshPorts.Contracts.Cli;
using MeshPorts.Coordinator.Cli;

namespace MeshPorts.Coordinator.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void Parse_Defaults_MatchProduct()
    {
        var o = CommandLine.Parse([])!;
        Assert.Equal("/var/lib/meshports-coordinator", o.DataDir);
        Assert.Equal(7443, o.Listen.Port);
        Assert.Equal(TimeSpan.FromHours(24), o.MaxGrantDuration);
        Assert.Equal(TimeSpan.FromHours(1), o.KeyLifetime);
        Assert.Equal(TimeSpan.FromDays(7), o.MaxTokenTtl);
    }

    [Fact]
    public void Parse_MaxTokenTtl_SetsTheCap()
    {
        Assert.Equal(TimeSpan.FromHours(12), CommandLine.Parse(["--max-token-ttl", "12h"])!.MaxTokenTtl);
        Assert.Contains("--max-token-ttl", CommandLine.Usage, StringComparison.Ordinal);
        var ex = Assert.Throws<UsageException>(() => CommandLine.Parse(["--max-token-ttl=soon"]));
        Assert.Contains("duration", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bogus", "unknown option")]
    [InlineData("--listen", "needs a value")]
    [InlineData("--listen=nope", "ADDRESS:PORT")]
    [InlineData("--public-url=http://x:1", "https://")]
    [InlineData("--store=postgres:host=x", "names no Database; add Database=NAME")]
    [InlineData("--store=postgres:", "needs an Npgsql connection string")]
    [InlineData("--store=postgres:Database=m", "names no Host")]
    [InlineData("--store=postgres:Host=x;Database=m;Colour=blue", "is not an Npgsql connection string")]
    [InlineData("--store=mysql:x", "expected sqlite:PATH or postgres:CONNSTRING")]
    [InlineData("--store=sqlite:", "needs a path")]
    [InlineData("--max-grant=forever", "duration")]
    public void Parse_BadArguments_NameTheFix(string arg, string expected)
    {
        var ex = Assert.Throws<UsageException>(() => CommandLine.Parse([arg]));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Parse_PostgresStore_IsAccepted_AndDescribedWithoutItsPassword()
    {
        var o = CommandLine.Parse(["--store", "postgres:Host=/tmp/pg;Database=meshports;Username=meshports;Password=hunter2"])!;

        Assert.Equal("postgres:Host=/tmp/pg;Database=meshports;Username=meshports;Password=hunter2", o.EffectiveStore);
        var described = Storage.StoreSpec.Describe(o.EffectiveStore);
        Assert.Contains("Database=meshports", described, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", described, StringComparison.Ordinal);
        Assert.Contains("--store sqlite:PATH|postgres:CONNSTRING", CommandLine.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void PostgresStore_WithAPassword_IsWarnedAbout_NamingThePassfile_WithoutThePassword()
    {
        var warning = Storage.StoreSpec.Warning("postgres:Host=/tmp/pg;Database=meshports;Username=meshports;Password=hunter2");

        Assert.NotNull(warning);
        Assert.Contains("Passfile=", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", warning, StringComparison.Ordinal);
        Assert.Null(Storage.StoreSpec.Warning("postgres:Host=/tmp/pg;Database=meshports;Username=meshports;Passfile=/etc/meshports/pgpass"));
        Assert.Null(Storage.StoreSpec.Warning("sqlite:/var/lib/meshports-coordinator/coordinator.db"));
    }

    [Theory]
    [InlineData("postgres:Host=x;Database=m;Password=hunter2;Colour=blue")]
    [InlineData("postgres:Host=x;Database=m;Password=hunter2;Port=hunter2")]
    [InlineData("postgress:Host=x;Database=m;Password=hunter2")]
    public void Parse_BadStore_NeverEchoesThePassword(string store)
    {
        var ex = Assert.Throws<UsageException>(() => CommandLine.Parse(["--store", store]));
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Help_ReturnsNull() => Assert.Null(CommandLine.Parse(["--help"]));
}
