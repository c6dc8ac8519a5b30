namespace MeshPorts.Coordinator.Auth;

/// <summary>Counts failures per source in a sliding window so a guesser is slowed down without affecting others.</summary>
internal sealed class FailureRateLimiter
{
    private readonly int _max;
    private readonly long _windowMs;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<long>> _failures = new(StringComparer.Ordinal);

    public FailureRateLimiter(int max, TimeSpan window)
    {
        _max = max;
        _windowMs = (long)window.TotalMilliseconds;
    }

    public bool IsBlocked(string source, long now)
    {
        lock (_lock)
        {
            return _failures.TryGetValue(source, out var q) && Trim(q, now) >= _max;
        }
    }

    public void RecordFailure(string source, long now)
    {
        lock (_lock)
        {
            if (!_failures.TryGetValue(source, out var q))
            {
                _failures[source] = q = new Queue<long>();
            }

            Trim(q, now);
            q.Enqueue(now);
        }
    }

    private int Trim(Queue<long> q, long now)
    {
        while (q.Count > 0 && q.Peek() <= now - _windowMs)
        {
            q.Dequeue();
        }

        return q.Count;
    }
}
