namespace MeshPorts.Integration.Tests.Harness;

/// <summary>A 50 MB file of random bytes, made once per test run and removed when the run ends.</summary>
internal static class TransferFile
{
    public const int Size = 50 * 1024 * 1024;

    private static readonly Lazy<string> Created = new(Create);

    public static string Path => Created.Value;

    private static string Create()
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mpit-{Environment.ProcessId}-50M.bin");
        var buffer = new byte[1024 * 1024];
        using (var stream = File.Create(path))
        {
            for (var written = 0; written < Size; written += buffer.Length)
            {
                Random.Shared.NextBytes(buffer);
                stream.Write(buffer);
            }
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    }
}
