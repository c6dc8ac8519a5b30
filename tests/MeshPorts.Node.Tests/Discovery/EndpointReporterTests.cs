using System.Collections.Concurrent;
using MeshPorts.Node.Discovery;
using MeshPorts.Node.Paths;
using MeshPorts.Node.Tests.Agent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Node.Tests.Discovery;

public sealed class EndpointReporterTests : IAsyncDisposable
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeCoordinatorLink _coordinator = new(new ConcurrentQueue<string>());
    private readonly RecordingLoggers _logs = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;
    private string? _homeRelay = "coordinator";
    private IReadOnlyList<PeerPathStatus> _paths = [];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _running).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Start_ReportsCandidatesHomeRelayAndPathsAtOnce()
    {
        _paths =
        [
            new("n-direct", "direct", "198.51.100.7:51820", null, null, TimeSpan.FromMilliseconds(12.5)),
            new("n-udp", "relay", "192.0.2.1:443", "coordinator", "udp", null),
            new("n-tls", "relay", "https://192.0.2.1:443", "coordinator", "tls", null),
            new("n-none", "none", null, null, null, null),
        ];
        var reporter = Start();

        reporter.SetCandidates(["192.0.2.10:51820", "203.0.113.5:40001"]);
        await _time.AdvanceUntilAsync(() => Reports == 1, TimeSpan.Zero, Step, "the first report");

        var report = _coordinator.EndpointReports.Single();
        Assert.Equal(["192.0.2.10:51820", "203.0.113.5:40001"], report.Candidates);
        Assert.Equal("coordinator", report.HomeRelay);
        Assert.Equal(
            [("n-direct", "direct", "198.51.100.7:51820", 12500L), ("n-udp", "relay-udp", "coordinator", 0L), ("n-tls", "relay-tls", "coordinator", 0L), ("n-none", "none", "", 0L)],
            report.Paths.Select(p => (p.PeerNodeId, p.Path, p.Endpoint, p.RttUs)));
    }

    [Fact]
    public async Task NoCandidatesYet_ReportsNothing()
    {
        Start();

        await _time.AdvanceAsync(TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(1));

        Assert.Equal(0, Reports);
    }

    [Fact]
    public async Task CandidatesChange_IsReportedOnceItHeldASecond()
    {
        var reporter = Start();
        reporter.SetCandidates(["192.0.2.10:51820"]);
        await _time.AdvanceUntilAsync(() => Reports == 1, TimeSpan.Zero, Step, "the first report");
        await _time.AdvanceAsync(TimeSpan.FromSeconds(10), Step);

        reporter.SetCandidates(["192.0.2.10:51820", "203.0.113.5:40001"]);
        var waited = await _time.AdvanceUntilAsync(() => Reports == 2, TimeSpan.FromSeconds(5), Step, "the changed report");

        Assert.InRange(waited, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.3));
        Assert.Equal(["192.0.2.10:51820", "203.0.113.5:40001"], _coordinator.EndpointReports.Last().Candidates);
    }

    [Fact]
    public async Task ChangesInQuickSuccession_AreReportedOnce_WithTheLast()
    {
        var reporter = Start();
        reporter.SetCandidates(["192.0.2.10:51820"]);
        await _time.AdvanceUntilAsync(() => Reports == 1, TimeSpan.Zero, Step, "the first report");
        await _time.AdvanceAsync(TimeSpan.FromSeconds(10), Step);

        reporter.SetCandidates(["192.0.2.11:51820"]);
        await _time.AdvanceAsync(TimeSpan.FromMilliseconds(400), Step);
        reporter.SetCandidates(["192.0.2.12:51820"]);
        await _time.AdvanceAsync(TimeSpan.FromMilliseconds(400), Step);
        reporter.SetCandidates(["192.0.2.13:51820"]);
        await _time.AdvanceUntilAsync(() => Reports == 2, TimeSpan.FromSeconds(5), Step, "the debounced report");
        await _time.AdvanceAsync(TimeSpan.FromSeconds(5), Step);

        Assert.Equal(2, Reports);
        Assert.Equal(["192.0.2.13:51820"], _coordinator.EndpointReports.Last().Candidates);
    }

    [Fact]
    public async Task HomeRelayChange_IsReported()
    {
        var reporter = Start();
        reporter.SetCandidates(["192.0.2.10:51820"]);
        await _time.AdvanceUntilAsync(() => Reports == 1, TimeSpan.Zero, Step, "the first report");

        _homeRelay = "relay-eu";
        await _time.AdvanceUntilAsync(() => Reports == 2, TimeSpan.FromSeconds(5), Step, "the home relay's report");

        Assert.Equal("relay-eu", _coordinator.EndpointReports.Last().HomeRelay);
    }

    [Fact]
    public async Task Unchanged_SendsNothingForAMinute_ThenRepeatsWithTheCurrentPaths()
    {
        var reporter = Start();
        reporter.SetCandidates(["192.0.2.10:51820"]);
        await _time.AdvanceUntilAsync(() => Reports == 1, TimeSpan.Zero, Step, "the first report");

        reporter.SetCandidates(["192.0.2.10:51820"]);
        _paths = [new("n-direct", "direct", "198.51.100.7:51820", null, null, TimeSpan.FromMilliseconds(3))];
        await _time.AdvanceAsync(TimeSpan.FromSeconds(59), TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, Reports);

        await _time.AdvanceUntilAsync(() => Reports == 2, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(500), "the minute's report");
        Assert.Equal(["n-direct"], _coordinator.EndpointReports.Last().Paths.Select(p => p.PeerNodeId));

        // A loaded machine can only make the loop late, never early: so nothing may come for 59 s, and the
        // repeat must then come within a few seconds more (waiting for it rather than asserting at one instant).
        await _time.AdvanceAsync(TimeSpan.FromSeconds(59), TimeSpan.FromMilliseconds(500));
        Assert.Equal(2, Reports);
        await _time.AdvanceUntilAsync(() => Reports == 3, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(500), "the second minute's report");
    }

    [Fact]
    public async Task FailingCoordinator_IsRetriedWithBackoff_AndWarnedAboutOnce()
    {
        var link = new FlakyReportLink(_coordinator) { FailFirst = 3 };
        var reporter = Start(link);
        reporter.SetCandidates(["192.0.2.10:51820"]);

        // Tries at 0, 1 s, 3 s (1 + 2), then 7 s (3 + 4) succeeds.
        var waited = await _time.AdvanceUntilAsync(() => Reports == 1, TimeSpan.FromSeconds(15), Step, "the report after three failures");

        Assert.InRange(waited, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(7.5));
        Assert.Equal(4, link.Calls);
        Assert.Equal(1, _logs.Entries.Count(e => e.Level == LogLevel.Warning));
        Assert.Equal(1, _logs.Count("reach the coordinator again"));
    }

    private int Reports => _coordinator.EndpointReports.Count;

    private EndpointReporter Start(MeshPorts.Node.Coordinator.ICoordinatorLink? link = null)
    {
        var reporter = new EndpointReporter(link ?? _coordinator, () => _homeRelay, () => _paths, _time, _logs);
        _running = reporter.RunAsync(_stop.Token);
        return reporter;
    }
}
