namespace MeshPorts.LoadTest.Relay;

/// <summary>
/// One step of the relay benchmark: a rate and a path (direct loopback or through the relay), what was
/// sent and delivered, one-way latency percentiles, the relay process's CPU seconds and RSS over the step,
/// and how much each relay counter grew (relay steps only).
/// </summary>
internal sealed record RelayStepResult(
    int Rate,
    bool ViaRelay,
    long Sent,
    long Received,
    long OverTls,
    long Bytes,
    double SendSeconds,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    (double CpuSeconds, long RssKiB)? RelayProcess,
    double WallSeconds,
    double OwnCpuSeconds,
    IReadOnlyDictionary<string, double> RelayCounters,
    long Rejected,
    long SendFailures,
    UdpKernelCounters? Kernel)
{
    public long Lost => Sent - Received;

    public double DatagramsPerSecond => Received / SendSeconds;

    public double Mbits => Bytes * 8 / SendSeconds / 1e6;

    public double Counter(string name) => RelayCounters.GetValueOrDefault(name);
}
