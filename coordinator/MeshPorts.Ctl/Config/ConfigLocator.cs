using MeshPorts.Ctl.Cli;

namespace MeshPorts.Ctl.Config;

/// <summary>
/// Finds meshctl.conf in PRODUCT.md's order: <c>--config</c>, <c>$MESHCTL_CONFIG</c>,
/// <c>~/.config/meshports/meshctl.conf</c>, then the coordinator's default data dir.
/// </summary>
internal static class ConfigLocator
{
    public const string EnvironmentVariable = "MESHCTL_CONFIG";
    public const string CoordinatorDefault = "/var/lib/meshports-coordinator/meshctl.conf";

    /// <param name="explicitPath">The value of --config, if given.</param>
    /// <param name="getEnvironment">Reads an environment variable (injected so tests need not change the process's).</param>
    public static string Locate(string? explicitPath, Func<string, string?> getEnvironment)
    {
        ArgumentNullException.ThrowIfNull(getEnvironment);

        // A path the user named must exist: falling back to another file would act on the wrong coordinator.
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return File.Exists(explicitPath)
                ? explicitPath
                : throw new CtlException($"--config {explicitPath}: no such file; check the path or drop --config to use the default locations");
        }

        var fromEnv = getEnvironment(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return File.Exists(fromEnv)
                ? fromEnv
                : throw new CtlException($"${EnvironmentVariable}={fromEnv}: no such file; fix or unset {EnvironmentVariable}");
        }

        var candidates = Candidates(getEnvironment);
        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new CtlException(
            $"no meshctl.conf found (looked in {string.Join(", ", candidates)}); pass --config FILE or set {EnvironmentVariable}, "
            + "or copy DATA/meshctl.conf from the coordinator's data dir");
    }

    public static IReadOnlyList<string> Candidates(Func<string, string?> getEnvironment)
    {
        ArgumentNullException.ThrowIfNull(getEnvironment);
        var list = new List<string>(2);

        // XDG_CONFIG_HOME is what "~/.config" means when a user has moved it.
        var xdg = getEnvironment("XDG_CONFIG_HOME");
        var home = getEnvironment("HOME");
        if (!string.IsNullOrEmpty(xdg))
        {
            list.Add(Path.Combine(xdg, "meshports", "meshctl.conf"));
        }
        else if (!string.IsNullOrEmpty(home))
        {
            list.Add(Path.Combine(home, ".config", "meshports", "meshctl.conf"));
        }

        list.Add(CoordinatorDefault);
        return list;
    }
}
