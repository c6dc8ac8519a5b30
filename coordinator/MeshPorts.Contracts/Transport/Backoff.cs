namespace MeshPorts.Contracts.Transport;

/// <summary>
/// The one jittered exponential backoff every MeshPorts client retries with (the node's Watch stream, its
/// enrollment, relay connections, endpoint reports). The n-th consecutive failure waits
/// <c>min(Initial * 2^(n-1), Max)</c>, less up to <see cref="Jitter"/> of it, so clients cut off together
/// do not all come back in the same instant, and <see cref="Max"/> is a true ceiling. Not thread-safe: one
/// retry loop owns one instance.
/// </summary>
public sealed class Backoff
{
    /// <summary>A quarter: enough to spread a fleet over the interval, small enough to keep the schedule predictable.</summary>
    public const double DefaultJitter = 0.25;

    private readonly Func<double> _random;

    /// <param name="jitter">The fraction of each delay that may be taken off at random, 0 (none) to 1.</param>
    /// <param name="random">Returns a number in [0, 1); tests pass a seeded <see cref="Random"/>'s NextDouble. Default: <see cref="Random.Shared"/>.</param>
    public Backoff(TimeSpan initial, TimeSpan max, double jitter = DefaultJitter, Func<double>? random = null)
    {
        if (initial <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(initial), initial, "the first delay must be positive");
        }

        if (max < initial)
        {
            throw new ArgumentOutOfRangeException(nameof(max), max, "the largest delay must be at least the first");
        }

        if (jitter is < 0 or > 1 || double.IsNaN(jitter))
        {
            throw new ArgumentOutOfRangeException(nameof(jitter), jitter, "jitter is a fraction from 0 to 1");
        }

        Initial = initial;
        Max = max;
        Jitter = jitter;
        _random = random ?? Random.Shared.NextDouble;
    }

    public TimeSpan Initial { get; }

    public TimeSpan Max { get; }

    public double Jitter { get; }

    /// <summary>Failures since the last <see cref="Reset"/>.</summary>
    public int Failures { get; private set; }

    /// <summary>The delay before jitter that the next <see cref="Next"/> is drawn from.</summary>
    public TimeSpan Step => StepFor(Failures);

    /// <summary>Records one more failure and returns how long to wait before the next try.</summary>
    public TimeSpan Next()
    {
        var step = StepFor(Failures);
        if (Failures < int.MaxValue)
        {
            Failures++;
        }

        var draw = Math.Clamp(_random(), 0.0, 1.0);
        return TimeSpan.FromTicks(step.Ticks - (long)(step.Ticks * Jitter * draw));
    }

    /// <summary>After a success: the next failure waits <see cref="Initial"/> again.</summary>
    public void Reset() => Failures = 0;

    private TimeSpan StepFor(int failures)
    {
        // Past 2^40 any sane Initial is far over Max, and the shift cannot overflow.
        var exponent = Math.Min(failures, 40);
        var ticks = (double)Initial.Ticks * Math.Pow(2, exponent);
        return ticks >= Max.Ticks ? Max : TimeSpan.FromTicks((long)ticks);
    }
}
