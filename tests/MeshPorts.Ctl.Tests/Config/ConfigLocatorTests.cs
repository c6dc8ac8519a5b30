using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Config;
using Xunit;

namespace MeshPorts.Ctl.Tests.Config;

public class ConfigLocatorTests
{
    [Fact]
    public void Locate_ExplicitPath_WinsOverEnvironmentAndHome()
    {
        using var dir = new TempDir();
        var explicitFile = dir.File("explicit.conf", "x");
        var envFile = dir.File("env.conf", "x");
        dir.File("home/.config/meshports/meshctl.conf", "x");
        var env = Env(("MESHCTL_CONFIG", envFile), ("HOME", Path.Combine(dir.Path, "home")));

        Assert.Equal(explicitFile, ConfigLocator.Locate(explicitFile, env));
    }

    [Fact]
    public void Locate_Environment_WinsOverHome()
    {
        using var dir = new TempDir();
        var envFile = dir.File("env.conf", "x");
        dir.File("home/.config/meshports/meshctl.conf", "x");

        Assert.Equal(envFile, ConfigLocator.Locate(null, Env(("MESHCTL_CONFIG", envFile), ("HOME", Path.Combine(dir.Path, "home")))));
    }

    [Fact]
    public void Locate_Home_IsUsedWhenNothingIsSet()
    {
        using var dir = new TempDir();
        var homeFile = dir.File("home/.config/meshports/meshctl.conf", "x");

        Assert.Equal(homeFile, ConfigLocator.Locate(null, Env(("HOME", Path.Combine(dir.Path, "home")))));
    }

    [Fact]
    public void Locate_MissingExplicitPath_FailsInsteadOfFallingBack()
    {
        using var dir = new TempDir();
        dir.File("home/.config/meshports/meshctl.conf", "x");
        var missing = Path.Combine(dir.Path, "nope.conf");

        var ex = Assert.Throws<CtlException>(() => ConfigLocator.Locate(missing, Env(("HOME", Path.Combine(dir.Path, "home")))));
        Assert.Contains("--config", ex.Message);
        Assert.Contains(missing, ex.Message);
    }

    [Fact]
    public void Locate_MissingEnvironmentPath_NamesTheVariable()
    {
        var ex = Assert.Throws<CtlException>(() => ConfigLocator.Locate(null, Env(("MESHCTL_CONFIG", "/nonexistent/meshctl.conf"))));
        Assert.Contains("MESHCTL_CONFIG", ex.Message);
    }

    [Fact]
    public void Candidates_ListHomeThenCoordinatorDataDir()
    {
        var candidates = ConfigLocator.Candidates(Env(("HOME", "/home/ops")));
        Assert.Equal(["/home/ops/.config/meshports/meshctl.conf", "/var/lib/meshports-coordinator/meshctl.conf"], candidates);
    }

    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;
}
