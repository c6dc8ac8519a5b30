using MeshPorts.Coordinator.Collections;

namespace MeshPorts.Coordinator.State.Endpoints;

/// <summary>
/// A token bucket per node: <c>rate</c> calls a second with bursts of <c>burst</c>. Memory is bounded by
/// <c>maxNodes</c> (least recently used forgotten, which only ever gives a node a full bucket back).
/// </summary>
internal sealed class CallRateLimiter
{
    private readonly double _perMs;
    private readonly double _burst;
    private readonly Lock _lock = new();
    private readonly LruMap<Bucket> _buckets;

    public CallRateLimiter(double rate, int burst, int maxNodes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        _perMs = rate / 1000.0;
        _burst = burst;
        _buckets = new LruMap<Bucket>(maxNodes);
    }

    /// <summary>Takes one token for <paramref name="nodeId"/> at <paramref name="nowMs"/>; false when none is left.</summary>
    public bool TryTake(string nodeId, long nowMs)
    {
        lock (_lock)
        {
            var bucket = _buckets.Use(nodeId, _ => new Bucket { Tokens = _burst, AtMs = nowMs });
            bucket.Tokens = Math.Min(_burst, bucket.Tokens + (Math.Max(0, nowMs - bucket.AtMs) * _perMs));
            bucket.AtMs = Math.Max(bucket.AtMs, nowMs);
            if (bucket.Tokens < 1)
            {
                return false;
            }

            bucket.Tokens -= 1;
            return true;
        }
    }

    private sealed class Bucket
    {
        public double Tokens { get; set; }

        public long AtMs { get; set; }
    }
}
