namespace MeshPorts.Node.Tests.Coordinator;

/// <summary>
/// A clock whose wall time can be stepped (an admin's `date -s`, a bad NTP server) without its monotonic
/// time moving, as on a real host; <see cref="Advance"/> moves both, as time passing does.
/// </summary>
internal sealed class SteppableTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _lock = new();
    private DateTimeOffset _wall = start;
    private long _monotonic;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _wall;
        }
    }

    public override long GetTimestamp()
    {
        lock (_lock)
        {
            return _monotonic;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_lock)
        {
            _wall += by;
            _monotonic += by.Ticks;
        }
    }

    public void StepWall(TimeSpan by)
    {
        lock (_lock)
        {
            _wall += by;
        }
    }
}
