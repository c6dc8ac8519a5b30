using MeshPorts.Contracts.Transport;

namespace MeshPorts.Node.Coordinator;

/// <summary>
/// When the node tries its coordinator again (docs/node.md, "When the coordinator is unreachable"). Two
/// schedules, one per kind of failure:
/// <list type="bullet">
/// <item>Nothing answered (<see cref="CoordinatorException.ConnectFailed"/>: refused, no route, connect
/// timeout): full jitter, uniform in (0, min(initial * 2^(n-1), <see cref="OutageMax"/>)]. A refused SYN costs the
/// coordinator nothing, so the node keeps trying every few seconds however long the outage, is back
/// within <see cref="OutageMax"/> of the coordinator's return, and a fleet that lost it together
/// arrives spread evenly over that window instead of in one instant.</item>
/// <item>It answered and the call failed (an error status, a broken or silent stream, TLS): the shared
/// <see cref="Backoff"/>, doubling to its ceiling less up to 25%, so a coordinator in trouble is not pressed.</item>
/// </list>
/// A stream that delivered anything resets both. Not thread-safe: one retry loop owns one instance.
/// </summary>
internal sealed class ReconnectSchedule
{
    /// <summary>The ceiling while nothing answers; with the connect and the first snapshot it keeps the 5 s promise.</summary>
    public static readonly TimeSpan DefaultOutageMax = TimeSpan.FromSeconds(3);

    private readonly Backoff _answered;
    private readonly Backoff _outage;

    /// <param name="random">[0, 1); null = <see cref="Random.Shared"/>. Tests pass a seeded one.</param>
    public ReconnectSchedule(TimeSpan initial, TimeSpan max, TimeSpan outageMax, Func<double>? random = null)
    {
        _answered = new Backoff(initial, max, Backoff.DefaultJitter, random);
        _outage = new Backoff(initial <= outageMax ? initial : outageMax, outageMax, jitter: 1, random);
    }

    public TimeSpan OutageMax => _outage.Max;

    /// <summary>Records the failure and returns how long to wait before the next try.</summary>
    public TimeSpan Next(Exception? failure) =>
        failure is CoordinatorException { ConnectFailed: true } ? _outage.Next() : _answered.Next();

    /// <summary>After a stream that delivered something.</summary>
    public void Reset()
    {
        _answered.Reset();
        _outage.Reset();
    }
}
