namespace MeshPorts.Node.Agent;

/// <summary>Timings of the agent's loops; the defaults are the product's, tests shorten them.</summary>
internal sealed record AgentOptions
{
    /// <summary>How long a rotation waits for RotationReady before switching anyway.</summary>
    public TimeSpan RotationWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First reconnect delay; doubles per failure up to <see cref="MaxBackoff"/>, less up to 25% at random (Contracts' <c>Backoff</c>).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The ceiling after failures the coordinator answered (an error, a broken or silent stream).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The ceiling while no connection can be opened at all; full jitter below it (<see cref="Coordinator.ReconnectSchedule"/>).</summary>
    public TimeSpan OutageMaxBackoff { get; init; } = Coordinator.ReconnectSchedule.DefaultOutageMax;

    /// <summary>The coordinator heartbeats every 15 s; a stream silent this long is treated as dead.</summary>
    public TimeSpan WatchSilence { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>The backoff's random source, [0, 1); null = <see cref="Random.Shared"/>. Tests pass a seeded one.</summary>
    public Func<double>? Jitter { get; init; }

    /// <summary>How often denied flows are reported (when there are any).</summary>
    public TimeSpan DeniedReportInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The node answers DNS on its overlay addresses (<c>up</c> without --no-dns): every peer's queries to
    /// port 53/udp are admitted, until that peer's valid_until, like a standing rule (<see cref="MeshView.ServeNames"/>).
    /// </summary>
    public bool ServeNames { get; init; }

    /// <summary>Retry delay after a failed rotation.</summary>
    public TimeSpan RotationRetry { get; init; } = TimeSpan.FromSeconds(15);
}
