using MeshPorts.Node.StateDirectory;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Tests.StateDirectory;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NodeStateStoreTests : IDisposable
{
    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Mode0700 = Mode0600 | UnixFileMode.UserExecute;

    private readonly TempStateDir _dir = new();
    private readonly NodeStateStore _store;

    public NodeStateStoreTests()
    {
        Assert.False(OperatingSystem.IsWindows(), "these tests check POSIX file modes; run them on Linux or macOS");
        _store = new NodeStateStore(_dir.State);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void LoadOrCreate_OnFirstStart_CreatesDir0700AndKeyFiles0600_WithNoTempFileLeft()
    {
        using var machine = _store.LoadOrCreateMachineKey();
        var wg = _store.LoadOrCreateWireGuardKey();

        Assert.Equal(Mode0700, File.GetUnixFileMode(_dir.State));
        Assert.Equal(Mode0600, File.GetUnixFileMode(_store.PathOf(NodeStateStore.MachineKeyFile)));
        Assert.Equal(Mode0600, File.GetUnixFileMode(_store.PathOf(NodeStateStore.WireGuardKeyFile)));
        Assert.Equal(
            [NodeStateStore.MachineKeyFile, NodeStateStore.WireGuardKeyFile],
            Directory.GetFiles(_dir.State).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.False(wg.IsZero);
    }

    [Fact]
    public void NetmapCache_RoundTripsOwnerOnly_AndADamagedOneReadsAsNone()
    {
        Assert.Null(_store.LoadNetmapCache());
        byte[] snapshot = [8, 9, 18, 0, 255, 1];
        _store.SaveNetmapCache(snapshot);

        Assert.Equal(snapshot, _store.LoadNetmapCache());
        Assert.Equal(Mode0600, File.GetUnixFileMode(_store.PathOf(NodeStateStore.NetmapCacheFile)));

        File.WriteAllText(_store.PathOf(NodeStateStore.NetmapCacheFile), "not base64 at all!");
        Assert.Null(_store.LoadNetmapCache());
    }

    [Fact]
    public void LoadOrCreate_OnSecondStart_ReturnsTheSameKeys()
    {
        byte[] firstMachine;
        using (var machine = _store.LoadOrCreateMachineKey())
        {
            firstMachine = machine.PublicKey.ToArray();
        }

        var wg = _store.LoadOrCreateWireGuardKey();
        var again = new NodeStateStore(_dir.State);

        using var machineAgain = again.LoadOrCreateMachineKey();
        Assert.True(machineAgain.HasPublicKey(firstMachine));
        Assert.Equal(wg, again.LoadOrCreateWireGuardKey());
    }

    [Fact]
    public void WireGuardKey_IsStoredAsWgGenkeyBase64()
    {
        var wg = _store.LoadOrCreateWireGuardKey();

        var text = File.ReadAllText(_store.PathOf(NodeStateStore.WireGuardKeyFile));

        Assert.Equal(wg.ToBase64() + "\n", text);
    }

    [Fact]
    public void EnsureDirectory_WhenItExistsLooser_TightensItTo0700()
    {
        Directory.CreateDirectory(_dir.State);
        File.SetUnixFileMode(_dir.State, Mode0700 | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        _store.EnsureDirectory();

        Assert.Equal(Mode0700, File.GetUnixFileMode(_dir.State));
    }

    [Fact]
    public void Load_KeyFileReadableByOthers_IsRefusedWithChmodFix()
    {
        _store.LoadOrCreateMachineKey().Dispose();
        var path = _store.PathOf(NodeStateStore.MachineKeyFile);
        File.SetUnixFileMode(path, Mode0600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var ex = Assert.Throws<NodeStateException>(() => _store.LoadOrCreateMachineKey());

        Assert.Contains($"run 'chmod 600 {path}'", ex.Message);
        Assert.Contains("mode 0644", ex.Message);
    }

    [Fact]
    public void Load_MalformedMachineKey_NamesTheFileAndTheFix()
    {
        _store.EnsureDirectory();
        var path = _store.PathOf(NodeStateStore.MachineKeyFile);
        WritePrivate(path, "not-a-key\n");

        var ex = Assert.Throws<NodeStateException>(() => _store.LoadOrCreateMachineKey());

        Assert.Contains(path, ex.Message);
        Assert.Contains($"delete {path}", ex.Message);
    }

    [Fact]
    public void Load_MalformedWireGuardKey_NamesTheFile()
    {
        _store.EnsureDirectory();
        var path = _store.PathOf(NodeStateStore.WireGuardKeyFile);
        WritePrivate(path, Convert.ToBase64String(new byte[31]));

        var ex = Assert.Throws<NodeStateException>(() => _store.LoadOrCreateWireGuardKey());

        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Enrollment_RoundTrips_AsCamelCaseJsonWithoutSecrets()
    {
        var record = new EnrollmentRecord
        {
            CoordinatorUrl = "https://127.0.0.1:7443",
            Pin = "sha256:" + new string('a', 64),
            NodeId = "n1",
            Name = "db-1",
            OverlayIpv4 = "100.64.0.7",
            OverlayIpv6 = "fd12:3456:789a::7",
            OverlayPrefixIpv4 = "100.64.0.0/10",
            OverlayPrefixIpv6 = "fd12:3456:789a::/48",
            KeyExpiresAt = new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero),
            KeyLifetimeSeconds = 3600,
            User = "alice",
            Tags = ["db", "prod"],
        };

        _store.SaveEnrollment(record);
        var loaded = _store.LoadEnrollment();

        Assert.NotNull(loaded);
        Assert.Equal(record with { Tags = loaded.Tags }, loaded);
        Assert.Equal(record.Tags, loaded.Tags);
        Assert.True(loaded.IsComplete);
        var json = File.ReadAllText(_store.PathOf(NodeStateStore.EnrollmentFile));
        Assert.Contains("\"overlayPrefixIpv6\"", json);
        Assert.Contains("\"keyLifetimeSeconds\": 3600", json);
        Assert.DoesNotContain("isComplete", json);
        Assert.Equal(Mode0600, File.GetUnixFileMode(_store.PathOf(NodeStateStore.EnrollmentFile)));
        Assert.Empty(Directory.GetFiles(_dir.State, ".*"));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"coordinatorUrl":"http://x:1","pin":"p"}""")]
    [InlineData("""{"nodeId":"n"}""")]
    [InlineData("null")]
    public void LoadEnrollment_Malformed_NamesTheFileAndTheFix(string json)
    {
        _store.EnsureDirectory();
        var path = _store.PathOf(NodeStateStore.EnrollmentFile);
        WritePrivate(path, json);

        var ex = Assert.Throws<NodeStateException>(() => _store.LoadEnrollment());

        Assert.Contains(path, ex.Message);
        Assert.Contains("delete it to enroll again", ex.Message);
    }

    [Fact]
    public void AtomicWrite_OverAStaleLooseTempFile_StillEndsAt0600AndRemovesTheTemp()
    {
        _store.EnsureDirectory();
        var temp = Path.Combine(_dir.State, "." + NodeStateStore.NextWireGuardKeyFile + ".tmp");
        File.WriteAllText(temp, "left over by a crash");
        File.SetUnixFileMode(temp, Mode0600 | UnixFileMode.OtherRead);

        var key = WgKey.GeneratePrivate();
        _store.SaveNextWireGuardKey(key);
        _store.PromoteNextWireGuardKey();

        Assert.False(File.Exists(temp));
        Assert.Equal(Mode0600, File.GetUnixFileMode(_store.PathOf(NodeStateStore.WireGuardKeyFile)));
        Assert.Equal(key, _store.LoadWireGuardKey());
    }

    [Fact]
    public void NextKey_SaveLoadPromoteAndDiscard_MoveTheKeyAsRotationNeeds()
    {
        var current = _store.LoadOrCreateWireGuardKey();
        Assert.Null(_store.LoadNextWireGuardKey());

        var next = WgKey.GeneratePrivate();
        _store.SaveNextWireGuardKey(next);
        Assert.Equal(next, _store.LoadNextWireGuardKey());
        Assert.Equal(current, _store.LoadWireGuardKey());
        Assert.Equal(Mode0600, File.GetUnixFileMode(_store.PathOf(NodeStateStore.NextWireGuardKeyFile)));

        _store.PromoteNextWireGuardKey();
        Assert.Equal(next, _store.LoadWireGuardKey());
        Assert.Null(_store.LoadNextWireGuardKey());

        _store.SaveNextWireGuardKey(WgKey.GeneratePrivate());
        _store.DiscardNextWireGuardKey();
        Assert.Null(_store.LoadNextWireGuardKey());
        Assert.Equal(next, _store.LoadWireGuardKey());
        Assert.Throws<NodeStateException>(() => _store.PromoteNextWireGuardKey());
    }

    private static void WritePrivate(string path, string content)
    {
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, Mode0600);
    }
}
