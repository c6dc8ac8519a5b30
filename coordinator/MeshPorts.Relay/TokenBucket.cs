namespace MeshPorts.Relay;

/// <summary>One token bucket on the relay's clock (milliseconds). Not thread-safe: the caller holds the relay's lock.</summary>
internal sealed class TokenBucket
{
    private readonly double _perMs;
    private readonly double _burst;
    private double _tokens;
    private long _atMs;

    public TokenBucket(double perSecond, double burst, long nowMs)
    {
        _perMs = perSecond / 1000.0;
        _burst = burst;
        _tokens = burst;
        _atMs = nowMs;
    }

    public bool Has(double amount, long nowMs)
    {
        if (nowMs > _atMs)
        {
            _tokens = Math.Min(_burst, _tokens + ((nowMs - _atMs) * _perMs));
            _atMs = nowMs;
        }

        return _tokens >= amount;
    }

    public void Take(double amount) => _tokens -= amount;
}
