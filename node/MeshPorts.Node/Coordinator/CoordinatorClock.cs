namespace MeshPorts.Node.Coordinator;

/// <summary>
/// Turns the coordinator's ends (a grant's not_after, a peer's valid_until) into deadlines on the
/// monotonic clock, taken when they arrive, so that a wall clock stepped back while the coordinator is
/// away cannot extend a grant, and one stepped forward cannot end it early. The coordinator's time is
/// the local wall clock corrected by the offset last measured from its server_time, the correction
/// bounded by its skew bound (it refuses nodes further off anyway). Thread-safe.
/// </summary>
internal sealed class CoordinatorClock
{
    /// <summary>The coordinator's default bound on a node's clock skew.</summary>
    public static readonly TimeSpan DefaultSkewBound = TimeSpan.FromSeconds(60);

    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly long _boundTicks;
    private long _offsetTicks;

    public CoordinatorClock(TimeProvider time, TimeSpan? skewBound = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        var bound = skewBound ?? DefaultSkewBound;
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, TimeSpan.Zero, nameof(skewBound));
        _time = time;
        _origin = time.GetTimestamp();
        _boundTicks = bound.Ticks;
    }

    /// <summary>The coordinator's clock minus this node's, as last measured and bounded.</summary>
    public TimeSpan Offset => new(Interlocked.Read(ref _offsetTicks));

    /// <summary>The coordinator's time as this node best knows it.</summary>
    public DateTimeOffset CoordinatorNow => _time.GetUtcNow() + Offset;

    /// <summary>Monotonic time since this clock was made, in <see cref="TimeSpan"/> ticks; what deadlines are in.</summary>
    public long NowTicks => _time.GetElapsedTime(_origin).Ticks;

    /// <summary>Takes the coordinator's server_time (a heartbeat, a challenge) as the current offset.</summary>
    public void Observe(DateTimeOffset serverTime)
    {
        var offset = (serverTime - _time.GetUtcNow()).Ticks;
        Interlocked.Exchange(ref _offsetTicks, Math.Clamp(offset, -_boundTicks, _boundTicks));
    }

    /// <summary>
    /// The monotonic deadline of an end given in the coordinator's time: now plus what remains of it.
    /// long.MaxValue for no end.
    /// </summary>
    public long DeadlineTicks(DateTimeOffset? end)
    {
        if (end is not { } at)
        {
            return long.MaxValue;
        }

        var now = NowTicks;
        var remaining = at.UtcTicks - CoordinatorNow.UtcTicks;
        return remaining > 0 && now > long.MaxValue - remaining ? long.MaxValue : now + remaining;
    }
}
