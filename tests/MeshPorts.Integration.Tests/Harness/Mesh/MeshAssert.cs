namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>Assertions whose failure message carries what every process of the mesh printed.</summary>
internal static class MeshAssert
{
    public static void True(bool condition, string whatDidNotHappen, MeshNetwork network)
    {
        if (!condition)
        {
            Assert.Fail($"{whatDidNotHappen}\n{network.Logs()}");
        }
    }
}
