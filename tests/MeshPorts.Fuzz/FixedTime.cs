namespace MeshPorts.Fuzz;

/// <summary>A clock that stands still, so one input always takes the same path.</summary>
internal sealed class FixedTime : TimeProvider
{
    public static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Now;

    public override long GetTimestamp() => 1_000_000_000;
}
