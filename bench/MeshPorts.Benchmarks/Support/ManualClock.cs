namespace MeshPorts.Benchmarks.Support;

/// <summary>
/// A clock the benchmark moves by hand, so handshake benchmarks can step past the 20 ms initiation
/// flood guard and the per-source rate limit without sleeping. Timestamps are TimeSpan ticks.
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly DateTimeOffset _start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private long _ticks = TimeSpan.TicksPerDay;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public override DateTimeOffset GetUtcNow() => _start.AddTicks(_ticks);

    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}
