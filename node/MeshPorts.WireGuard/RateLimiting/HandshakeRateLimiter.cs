using MeshPorts.WireGuard.Net;

namespace MeshPorts.WireGuard.RateLimiting;

/// <summary>
/// Token bucket per source address for handshake messages under load, after mac2 proved the source
/// can receive at that address. IPv4 is keyed per address, IPv6 per /64 (an attacker usually owns a
/// whole /64). Tokens are measured in clock ticks: one packet costs 1/rate seconds.
/// </summary>
internal sealed class HandshakeRateLimiter
{
    private const long PacketCost = TimeSpan.TicksPerSecond / Constants.RateLimitPacketsPerSecond;
    private const long MaxTokens = PacketCost * Constants.RateLimitBurst;

    private readonly Dictionary<(ulong, ulong), Bucket> _buckets = [];
    private readonly Lock _lock = new();
    private long _lastCollect;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _buckets.Count;
            }
        }
    }

    public bool Allow(PeerEndpoint source, long now)
    {
        var key = KeyOf(source);
        lock (_lock)
        {
            if (!_buckets.TryGetValue(key, out var bucket))
            {
                _buckets[key] = new Bucket { Tokens = MaxTokens - PacketCost, Last = now };
                return true;
            }

            bucket.Tokens = Math.Min(MaxTokens, bucket.Tokens + Math.Max(0, now - bucket.Last));
            bucket.Last = now;
            if (bucket.Tokens >= PacketCost)
            {
                bucket.Tokens -= PacketCost;
                return true;
            }

            return false;
        }
    }

    /// <summary>Forgets sources idle for a second: a full bucket needs no state.</summary>
    public void Collect(long now)
    {
        lock (_lock)
        {
            if (now - _lastCollect < Constants.RateLimitGarbageCollectAfter)
            {
                return;
            }

            _lastCollect = now;
            List<(ulong, ulong)>? stale = null;
            foreach (var (key, bucket) in _buckets)
            {
                if (now - bucket.Last > Constants.RateLimitGarbageCollectAfter)
                {
                    (stale ??= []).Add(key);
                }
            }

            if (stale is not null)
            {
                foreach (var key in stale)
                {
                    _buckets.Remove(key);
                }
            }
        }
    }

    private static (ulong, ulong) KeyOf(PeerEndpoint source)
    {
        var a = source.Address16;
        var high = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(a);
        var low = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(a[8..]);
        return source.IsIPv4 ? (high, low) : (high, 0);
    }

    private sealed class Bucket
    {
        public long Tokens;
        public long Last;
    }
}
