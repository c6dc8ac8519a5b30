namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>
/// The interpreter for the small TCP helpers. The system one first: a pyenv shim on PATH costs a
/// shell start per call, which matters when probes are timed.
/// </summary>
internal static class Python
{
    public static string Executable => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}
