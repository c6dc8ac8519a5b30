using MeshPorts.LoadTest;

namespace MeshPorts.Coordinator.Tests.Load;

/// <summary>meshports-loadtest's command line and its compare report (the replicas benchmark, scripts/bench-coordinator.sh).</summary>
public sealed class LoadOptionsTests
{
    [Fact]
    public void Pid_TakesOnePerReplica_InTheUrlLinesOrder_AndTheFirstIsTheCoordinatorPid()
    {
        var o = LoadOptions.Parse(["--config", "c.conf", "--pid", "41,42", "--label", "SQLite", "--figures", "/tmp/f.json"]);
        Assert.Equal([41, 42], o.Pids);
        Assert.Equal(41, o.CoordinatorPid);
        Assert.Equal("SQLite", o.Label);
        Assert.Equal("/tmp/f.json", o.FiguresPath);
        Assert.True(o.Failover);

        var single = LoadOptions.Parse(["--config", "c.conf", "--pid", "7", "--failover", "off"]);
        Assert.Equal([7], single.Pids);
        Assert.False(single.Failover);
        Assert.Null(LoadOptions.Parse(["--config", "c.conf"]).CoordinatorPid);
    }

    [Theory]
    [InlineData("--failover", "maybe", "--failover maybe: expected on or off")]
    [InlineData("--pid", "41,x", "--pid x: expected a number")]
    [InlineData("--pid", "41,,42", "--pid : expected a number")]
    [InlineData("--label", "", "--label needs a name")]
    [InlineData("--figures", "", "--figures needs a file name")]
    public void BadValue_IsRefusedNamingTheOption(string name, string value, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--config", "c.conf", name, value]));
        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_TakesOneOrTwoFiles()
    {
        Assert.Equal(["a.json", "b.json"], CompareReport.ParseFiles(["a.json", "b.json"]));
        Assert.Throws<ArgumentException>(() => CompareReport.ParseFiles([]));
        Assert.Throws<ArgumentException>(() => CompareReport.ParseFiles(["a", "b", "c"]));
        Assert.Throws<ArgumentException>(() => CompareReport.ParseFiles(["--nodes", "5"]));
    }

    [Fact]
    public void Compare_PrintsBothStoresSideBySide_WithTheRatio_AndFailsOnALostDelta()
    {
        var pg = Figures("PostgreSQL", enrollPerSecond: 300, p99: 40, lost: 0);
        var sqlite = Figures("SQLite", enrollPerSecond: 150, p99: 400, lost: 0);
        var text = CompareReport.Format([pg, sqlite]);
        Assert.Contains("PostgreSQL/SQLite", text, StringComparison.Ordinal);
        Assert.Matches(@"enrollment, half through A, half through B\s+300 nodes/s\s+150 nodes/s\s+2\.00x", text);
        Assert.Matches(@"delta latency p99 \(target < 1000 ms\)\s+40\.0 ms\s+400\.0 ms\s+0\.10x", text);
        Assert.Contains("verdict: pass", text, StringComparison.Ordinal);
        Assert.Matches(@"1200 bytes\s+here, while the delta MeshPorts sends for a one-peer grant add is 120 bytes\s+\(revoke\s+60\), 10x less", text);

        sqlite.Lost = 1;
        Assert.False(sqlite.Passed);
        Assert.Contains("verdict: FAIL", CompareReport.Format([pg, sqlite]), StringComparison.Ordinal);
        var slow = Figures("SQLite", enrollPerSecond: 150, p99: 1000, lost: 0);
        Assert.False(slow.Passed);
    }

    private static LoadFigures Figures(string label, double enrollPerSecond, double p99, int lost) => new()
    {
        Label = label,
        Nodes = 500,
        Replicas = 2,
        EnrollPerSecond = enrollPerSecond,
        P50Ms = p99 / 4,
        P99Ms = p99,
        Lost = lost,
        AddDeltaBytes = 120,
        RevokeDeltaBytes = 60,
        FullMapSnapshotBytes = 1200,
        CpuMsPerChange = [3, 4],
        RssMiB = [200, 210],
    };
}
