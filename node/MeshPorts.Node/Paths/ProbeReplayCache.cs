namespace MeshPorts.Node.Paths;

/// <summary>
/// The transaction ids one peer's probes carried, each kept until its sender time is out of the 60 s
/// window (after that the time check refuses a replay on its own). Bounded: when full of live ids the
/// probe is refused rather than an id forgotten, so the cache never lets a replay through. Not
/// thread-safe; the path manager holds its lock.
/// </summary>
internal sealed class ProbeReplayCache
{
    private readonly Dictionary<(ProbeKind, ProbeTxId), long> _expiries = [];
    private readonly int _capacity;
    private readonly long _windowMs;

    public ProbeReplayCache(int capacity, TimeSpan window)
    {
        _capacity = capacity;
        _windowMs = (long)window.TotalMilliseconds;
    }

    public int Count => _expiries.Count;

    public ProbeReplayVerdict TryAdd(ProbeKind kind, ProbeTxId txId, long senderTimeMs, long nowMs)
    {
        if (_expiries.ContainsKey((kind, txId)))
        {
            return ProbeReplayVerdict.Replay;
        }

        if (_expiries.Count >= _capacity)
        {
            foreach (var (key, expiry) in _expiries)
            {
                if (expiry < nowMs)
                {
                    _expiries.Remove(key);
                }
            }

            if (_expiries.Count >= _capacity)
            {
                return ProbeReplayVerdict.Full;
            }
        }

        _expiries[(kind, txId)] = senderTimeMs + _windowMs;
        return ProbeReplayVerdict.Fresh;
    }
}
