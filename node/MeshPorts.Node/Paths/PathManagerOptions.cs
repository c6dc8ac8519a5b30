namespace MeshPorts.Node.Paths;

/// <summary>The path manager's timing; the defaults are docs/nat.md's ("Paths").</summary>
internal sealed class PathManagerOptions
{
    /// <summary>How often schedules are looked at. Default 250 ms (half the burst interval).</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Pings to every candidate while no direct path works, just after a change. Default 500 ms.</summary>
    public TimeSpan BurstInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a burst lasts after a change (new peer, new candidates, call-me, fallback). Default 10 s.</summary>
    public TimeSpan BurstDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Pings to candidates outside a burst (and to the ones not chosen). Default 5 s.</summary>
    public TimeSpan IdleInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pings on the chosen direct path. Default 2 s.</summary>
    public TimeSpan DirectInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A candidate is alive while its last pong is younger than this. Default 5 s.</summary>
    public TimeSpan AliveFor { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Probes whose sender time is further than this from our clock are stale. Default 60 s.</summary>
    public TimeSpan ClockWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>After this node's key rotates, probes to its previous key are still taken this long. Default 2 min.</summary>
    public TimeSpan PreviousOwnKeyWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Transaction ids remembered per peer (live ones; a full cache refuses). Default 2048.</summary>
    public int ReplayCapacity { get; init; } = 2048;

    /// <summary>Peer-reflexive addresses (learned from probes) kept per peer. Default 4.</summary>
    public int MaxLearnedCandidates { get; init; } = 4;

    /// <summary>Candidates taken from call-me events per peer. Default 8.</summary>
    public int MaxCallMeCandidates { get; init; } = 8;

    /// <summary>CallMe requests sent per second (the coordinator allows 4). Default 4.</summary>
    public int CallMesPerSecond { get; init; } = 4;
}
