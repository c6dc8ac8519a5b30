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

    [Fact]
    public async Task AuditSigningKey_AndAuditJsonl_AreCreatedOwnerOnly()
    {
        await using var coordinator = await Support.TestCoordinator.StartAsync();
        await coordinator.CreateTokenAsync("mode-check");
        foreach (var name in new[] { "audit-signing.key", "audit.jsonl" })
        {
            var path = Path.Combine(coordinator.DataDir, name);
            Assert.True(File.Exists(path), $"{name} was not created");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public async Task AuditJsonl_LeftWorldReadableByAnEarlierCoordinator_IsMadeOwnerOnlyAtStart()
    {
        var dir = Directory.CreateTempSubdirectory("mp-mode-");
        var jsonl = Path.Combine(dir.FullName, "audit.jsonl");
        File.WriteAllText(jsonl, "");
        File.SetUnixFileMode(jsonl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        await using var coordinator = await Support.TestCoordinator.StartAsync(dataDir: dir.FullName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(jsonl));
    }
}
