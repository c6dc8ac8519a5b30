using MeshPorts.Contracts.Transport;

namespace MeshPorts.Node.Discovery;

/// <summary>
/// When the next endpoint report goes, as deadlines over a caller's clock (no timers here, so the rules
/// are tested in microseconds). The first report goes at once; a change goes once it has held for
/// <see cref="Debounce"/> (at most <see cref="MaxDelay"/> after the first of a run of changes); with no
/// change the report is repeated every <see cref="Refresh"/>, for the paths it carries. Never two reports
/// within <see cref="Debounce"/>: the coordinator takes one a second after a burst of 5. A failed report
/// is tried again after a backoff that doubles to <see cref="MaxBackoff"/>.
/// </summary>
internal sealed class ReportSchedule
{
    public static readonly TimeSpan Debounce = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    private ReportedState? _sent;
    private ReportedState? _pending;
    private DateTimeOffset _pendingSince;
    private DateTimeOffset _pendingFirst;
    private DateTimeOffset _sentAt;
    private DateTimeOffset _retryAt;
    // Unjittered: each node has one report loop and the coordinator rate-limits them anyway, and tests read the schedule exactly.
    private readonly Backoff _backoff = new(FirstBackoff, MaxBackoff, jitter: 0);

    /// <summary>Consecutive failed reports (0 after a success).</summary>
    public int Failures => _backoff.Failures;

    /// <summary>
    /// Whether a report of <paramref name="current"/> should go now, and when to ask again at the latest
    /// (a change seen before then also warrants asking again).
    /// </summary>
    public (bool Send, DateTimeOffset Next) Decide(ReportedState current, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        DateTimeOffset due;
        if (_sent is null)
        {
            due = now;
        }
        else if (current.Equals(_sent))
        {
            _pending = null;
            due = _sentAt + Refresh;
        }
        else
        {
            if (_pending is null)
            {
                _pendingFirst = now;
            }

            if (!current.Equals(_pending))
            {
                _pending = current;
                _pendingSince = now;
            }

            var settled = _pendingSince + Debounce;
            var cap = _pendingFirst + MaxDelay;
            due = settled < cap ? settled : cap;
            if (due < _sentAt + Debounce)
            {
                due = _sentAt + Debounce;
            }
        }

        if (Failures > 0 && due < _retryAt)
        {
            due = _retryAt;
        }

        return (now >= due, due);
    }

    public void Sent(ReportedState state, DateTimeOffset now)
    {
        _sent = state;
        _sentAt = now;
        _pending = null;
        _backoff.Reset();
    }

    /// <summary>Records a failed report; returns how long until the next try.</summary>
    public TimeSpan Failed(DateTimeOffset now)
    {
        var delay = _backoff.Next();
        _retryAt = now + delay;
        return delay;
    }
}
