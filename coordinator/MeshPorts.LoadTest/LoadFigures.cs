namespace MeshPorts.LoadTest;

/// <summary>What one run measured, written by --figures and read by <c>compare</c>. NaN where a step did not run.</summary>
internal sealed class LoadFigures
{
    public string Label { get; set; } = string.Empty;

    public int Nodes { get; set; }

    public int Replicas { get; set; }

    public double EnrollPerSecond { get; set; } = double.NaN;

    public double WatchSeconds { get; set; } = double.NaN;

    /// <summary>Grant adds plus revokes in the latency phase.</summary>
    public int GrantChanges { get; set; }

    public double P50Ms { get; set; } = double.NaN;

    public double P99Ms { get; set; } = double.NaN;

    public double MaxMs { get; set; } = double.NaN;

    /// <summary>p99 at nodes that watch the replica the grant was made through.</summary>
    public double SameReplicaP99Ms { get; set; } = double.NaN;

    /// <summary>p99 at nodes that watch another replica: the change crossed the database.</summary>
    public double OtherReplicaP99Ms { get; set; } = double.NaN;

    public int Lost { get; set; }

    public int AddDeltaBytes { get; set; }

    public int RevokeDeltaBytes { get; set; }

    /// <summary>A new node's snapshot at full size (its peers: none yet, so the floor of a snapshot).</summary>
    public int SnapshotBytes { get; set; }

    /// <summary>At full size, the snapshot of a node that sees every other node (a tag grant): a full network map.</summary>
    public int FullMapSnapshotBytes { get; set; }

    /// <summary>Per replica, CPU milliseconds per grant change (add or revoke).</summary>
    public List<double> CpuMsPerChange { get; set; } = [];

    /// <summary>Per replica, RSS in MiB after the grant phase.</summary>
    public List<double> RssMiB { get; set; } = [];

    public int FailoverNodes { get; set; }

    public int FailoverMissing { get; set; }

    public double FailoverP50Seconds { get; set; } = double.NaN;

    public double FailoverMaxSeconds { get; set; } = double.NaN;

    public int AfterFailoverLost { get; set; }

    public double AfterFailoverMaxMs { get; set; } = double.NaN;

    public double RssAfterFailoverMiB { get; set; } = double.NaN;

    /// <summary>The run's verdict: p99 under a second and nothing lost (a node that never came back counts as lost).</summary>
    public bool Passed => !double.IsNaN(P99Ms) && P99Ms < 1000 && Lost == 0 && AfterFailoverLost == 0 && FailoverMissing == 0;
}
