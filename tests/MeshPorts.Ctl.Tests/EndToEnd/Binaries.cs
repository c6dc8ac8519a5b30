namespace MeshPorts.Ctl.Tests.EndToEnd;

/// <summary>
/// Finds the real programs: $MESHPORTS_COORDINATOR / $MESHCTL (scripts/test.sh points them at artifacts/bin),
/// else the dlls built beside this test in the same configuration.
/// </summary>
internal static class Binaries
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Coordinator => Resolve("MESHPORTS_COORDINATOR", "coordinator/MeshPorts.Coordinator", "meshports-coordinator.dll");

    public static string Meshctl => Resolve("MESHCTL", "coordinator/MeshPorts.Ctl", "meshctl.dll");

    /// <summary>The file name and leading arguments to run <paramref name="program"/> (a dll runs under dotnet).</summary>
    public static (string FileName, string[] Prefix) Command(string program) =>
        program.EndsWith(".dll", StringComparison.Ordinal) ? ("dotnet", [program]) : (program, []);

    private static string Resolve(string variable, string project, string dll)
    {
        var fromEnv = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return File.Exists(fromEnv) ? fromEnv : throw new InvalidOperationException($"${variable}={fromEnv} does not exist; build it or unset {variable}");
        }

        // bin/<Configuration>/net10.0/ of this test mirrors the project's own output folder.
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var configuration = tfmDir.Parent!.Name;
        var path = Path.Combine(RepoRoot, project, "bin", configuration, tfmDir.Name, dll);
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} is missing; run 'dotnet build {project}' (or set ${variable})");
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MeshPorts.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no MeshPorts.sln above {AppContext.BaseDirectory}");
    }
}
