namespace MeshPorts.LoadTest.Relay;

/// <summary>What one node received in one step: datagrams, bytes, how many came over TLS, and each one-way latency (ms).</summary>
internal sealed class StepTally
{
    public long Received { get; set; }

    public long Bytes { get; set; }

    public long OverTls { get; set; }

    public List<double> LatencyMs { get; } = [];
}
