namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>
/// One timer armed for the earliest deadline (grant end, key expiry). Expiry is pushed at the
/// moment it happens rather than found by polling; after each firing the owner re-arms it.
/// </summary>
internal sealed class ExpiryScheduler : IDisposable
{
    private readonly TimeProvider _time;
    private readonly ITimer _timer;

    public ExpiryScheduler(TimeProvider time, Action onDue)
    {
        _time = time;
        _timer = time.CreateTimer(_ => onDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The deadline currently armed (Unix ms), or null.</summary>
    public long? Armed { get; private set; }

    public void Arm(long? deadline)
    {
        Armed = deadline;
        if (deadline is null)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var due = TimeSpan.FromMilliseconds(Math.Max(0, deadline.Value - _time.GetUtcNow().ToUnixTimeMilliseconds()));

        // ITimer accepts at most ~49 days; a later deadline is re-armed when this one fires.
        var max = TimeSpan.FromDays(30);
        _timer.Change(due > max ? max : due, Timeout.InfiniteTimeSpan);
    }

    public void Dispose() => _timer.Dispose();
}
