using MeshPorts.Contracts.Grammar;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Paths;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Discovery;

/// <summary>
/// Sends <see cref="ICoordinatorLink.ReportEndpointsAsync"/>: at start (once candidates are known), when
/// the candidates or the home relay change, and every minute with the per-peer paths
/// (<see cref="ReportSchedule"/> says when). Failures are logged once per run of failures and retried.
/// </summary>
internal sealed class EndpointReporter(
    ICoordinatorLink link,
    Func<string?> homeRelay,
    Func<IReadOnlyList<PeerPathStatus>> paths,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>How often the home relay is looked at for a change (it has no event of its own).</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    /// <summary>node.proto, EndpointReport.paths.</summary>
    public const int MaxPaths = 4096;

    private readonly ReportSchedule _schedule = new();
    private readonly WakeSignal _wake = new();
    private IReadOnlyList<string>? _candidates;

    /// <summary>The candidates to report from now on; a change is reported after the debounce.</summary>
    public void SetCandidates(IReadOnlyList<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        Volatile.Write(ref _candidates, candidates);
        _wake.Set();
    }

    public async Task RunAsync(CancellationToken cancellation)
    {
        while (true)
        {
            var wait = Poll;
            if (Volatile.Read(ref _candidates) is { } candidates)
            {
                var current = new ReportedState(candidates, homeRelay());
                var now = time.GetUtcNow();
                var (send, next) = _schedule.Decide(current, now);
                if (send)
                {
                    await SendAsync(current, cancellation).ConfigureAwait(false);
                    continue;
                }

                wait = next - now < Poll ? next - now : Poll;
            }

            await _wake.WaitAsync(wait, time, cancellation).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(ReportedState state, CancellationToken cancellation)
    {
        var report = new EndpointReport { HomeRelay = state.HomeRelay ?? "" };
        report.Candidates.AddRange(state.Candidates);
        report.Paths.AddRange(paths().Take(MaxPaths).Select(ToProto));
        try
        {
            await link.ReportEndpointsAsync(report, cancellation).ConfigureAwait(false);
            if (_schedule.Failures > 0)
            {
                DiscoveryLog.ReportRecovered(logger);
            }

            _schedule.Sent(state, time.GetUtcNow());
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            var backoff = DurationText.FormatApproximate(_schedule.Failed(time.GetUtcNow()));
            if (_schedule.Failures == 1)
            {
                DiscoveryLog.ReportFailed(logger, ex.Message, backoff);
            }
            else
            {
                DiscoveryLog.ReportFailedAgain(logger, ex.Message, backoff);
            }
        }
    }

    /// <summary>node.proto PeerPath: "direct", "relay-udp", "relay-tls" or "none"; the endpoint in use, or the relay's id.</summary>
    public static PeerPath ToProto(PeerPathStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var relayed = status.Path == "relay";
        return new PeerPath
        {
            PeerNodeId = status.PeerNodeId,
            Path = relayed ? (status.Transport == "tls" ? "relay-tls" : "relay-udp") : status.Path == "direct" ? "direct" : "none",
            Endpoint = (relayed ? status.RelayId : status.Path == "direct" ? status.Endpoint : null) ?? "",
            RttUs = status.RoundTrip is { } rtt && rtt > TimeSpan.Zero ? (long)rtt.TotalMicroseconds : 0,
        };
    }
}
