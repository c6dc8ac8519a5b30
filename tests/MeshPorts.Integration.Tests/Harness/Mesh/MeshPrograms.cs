namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>
/// Finds `meshports-coordinator` and `meshctl` the way <see cref="MeshportsBinary"/> finds the node:
/// $MESHPORTS_COORDINATOR / $MESHCTL, else &lt;repo&gt;/artifacts/bin/. Not finding one is a failure naming the fix.
/// </summary>
internal static class MeshPrograms
{
    public const string CoordinatorVariable = "MESHPORTS_COORDINATOR";
    public const string MeshctlVariable = "MESHCTL";

    public static string Coordinator() => Locate(CoordinatorVariable, "meshports-coordinator");

    public static string Meshctl() => Locate(MeshctlVariable, "meshctl");

    public static string Node() => MeshportsBinary.Locate();

    private static string Locate(string variable, string program)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment)
                ? Path.GetFullPath(fromEnvironment)
                : throw new InvalidOperationException($"{variable}={fromEnvironment} does not exist: run scripts/build.sh or fix the path");
        }

        var root = RepositoryRoot();
        var candidate = root is null ? null : Path.Combine(root, "artifacts", "bin", program);
        return candidate is not null && File.Exists(candidate)
            ? candidate
            : throw new InvalidOperationException(
                $"{program} not found ({variable} unset, {candidate ?? "<repo>/artifacts/bin/" + program} missing): run scripts/build.sh first, or set {variable}");
    }

    private static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MeshPorts.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
