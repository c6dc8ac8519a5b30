namespace MeshPorts.Coordinator.Tests;

/// <summary>The database holds token hashes, node keys and the audit chain: nobody but the coordinator reads it.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DataFileModeTests
{
    [Fact]
    public async Task Database_AndItsWalFiles_AreCreatedOwnerOnly()
    {
        var dir = Directory.CreateTempSubdirectory("mp-mode-");
        try
        {
            await using (var coordinator = await Support.TestCoordinator.StartAsync(dataDir: dir.FullName))
            {
                // A write makes SQLite open the -wal and -shm files.
                await coordinator.CreateTokenAsync("mode-check");
                foreach (var name in new[] { "coordinator.db", "coordinator.db-wal", "coordinator.db-shm" })
                {
                    var path = Path.Combine(dir.FullName, name);
                    Assert.True(File.Exists(path), $"{name} was not created");
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
                }
            }
        }
        finally
        {
            // The test coordinator deletes its data dir on dispose; this is for when it never started.
            dir.Refresh();
            if (dir.Exists)
            {
                dir.Delete(recursive: true);
            }
        }
    }
}
