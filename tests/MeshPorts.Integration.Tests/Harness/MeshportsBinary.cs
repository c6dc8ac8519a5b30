namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// Finds the `meshports-node` executable: $MESHPORTS_NODE, else &lt;repo&gt;/artifacts/bin/meshports-node.
/// Not finding it is a test failure naming the fix, never a skip.
/// </summary>
internal static class MeshportsBinary
{
    public const string EnvironmentVariable = "MESHPORTS_NODE";

    public static string Locate()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment)
                ? Path.GetFullPath(fromEnvironment)
                : throw new InvalidOperationException($"{EnvironmentVariable}={fromEnvironment} does not exist: run scripts/build.sh or fix the path");
        }

        var root = RepositoryRoot();
        var candidate = root is null ? null : Path.Combine(root, "artifacts", "bin", "meshports-node");
        return candidate is not null && File.Exists(candidate)
            ? candidate
            : throw new InvalidOperationException(
                $"meshports-node not found ({EnvironmentVariable} unset, {candidate ?? "<repo>/artifacts/bin/meshports-node"} missing): run scripts/build.sh first, or set {EnvironmentVariable}");
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
