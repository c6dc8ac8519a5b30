namespace MeshPorts.Contracts.Collections;

/// <summary>
/// A token bucket per key (a node id, a source address): <c>rate</c> takes a second with bursts of
/// <c>burst</c>. Memory is bounded by <c>maxKeys</c> (least recently used forgotten, which only ever gives
/// a key a full bucket back). Thread-safe.
/// </summary>
public sealed class TokenBuckets
{
    private readonly double _perMs;
    private readonly double _burst;
    private readonly Lock _lock = new();
    private readonly LruMap<Bucket> _buckets;

    public TokenBuckets(double rate, int burst, int maxKeys)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        _perMs = rate / 1000.0;
        _burst = burst;
        _buckets = new LruMap<Bucket>(maxKeys);
    }

    /// <summary>Takes one token for <paramref name="key"/> at <paramref name="nowMs"/>; false when none is left.</summary>
    public bool TryTake(string key, long nowMs)
    {
        lock (_lock)
        {
            var bucket = _buckets.Use(key, _ => new Bucket { Tokens = _burst, AtMs = nowMs });
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
