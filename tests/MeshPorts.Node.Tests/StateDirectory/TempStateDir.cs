namespace MeshPorts.Node.Tests.StateDirectory;

/// <summary>A scratch directory deleted with the test; <see cref="State"/> is a not-yet-existing state dir inside it.</summary>
internal sealed class TempStateDir : IDisposable
{
    public TempStateDir()
    {
        Root = Directory.CreateTempSubdirectory("meshports-node-state-").FullName;
    }

    public string Root { get; }

    public string State => Path.Combine(Root, "state");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A process may still hold a file; the OS temp cleaner gets it later.
        }
    }
}
