namespace MeshPorts.Coordinator.Auth;

/// <summary>
/// Counts failures per source prefix (<see cref="SourcePrefix"/>) in a sliding window so a guesser is
/// slowed down without affecting others. Memory is bounded: at most <c>max</c> timestamps per source,
/// at most <c>maxSources</c> sources (least recently used evicted), and idle sources are dropped a few
/// at a time as later calls pass by.
/// </summary>
internal sealed class FailureRateLimiter
{
    // Idle entries dropped per call: enough to keep up with any arrival rate, never a full scan.
    private const int SweepSteps = 4;

    private readonly int _max;
    private readonly long _windowMs;
    private readonly int _maxSources;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _sources = new(StringComparer.Ordinal);

    // Most recently used first.
    private readonly LinkedList<Entry> _lru = new();

    public FailureRateLimiter(int max, TimeSpan window, int maxSources)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSources, 1);
        _max = max;
        _windowMs = (long)window.TotalMilliseconds;
        _maxSources = maxSources;
    }

    public int SourceCount
    {
        get
        {
            lock (_lock)
            {
                return _sources.Count;
            }
        }
    }

    /// <summary>
    /// True if the source has used up its failures in the window. <paramref name="firstInWindow"/> is true
    /// for the first refusal of the source in a window, so the caller can log once rather than per request.
    /// </summary>
    public bool IsBlocked(string source, long now, out bool firstInWindow)
    {
        lock (_lock)
        {
            Sweep(now);
            firstInWindow = false;
            if (!_sources.TryGetValue(SourcePrefix.Of(source), out var entry) || Trim(entry, now) < _max)
            {
                return false;
            }

            Touch(entry);
            firstInWindow = Refused(entry, now);
            return true;
        }
    }

    /// <summary>
    /// Counts one failure. False if the source was already over its budget: the failure is then not
    /// recorded again (memory stays at <c>max</c> per source), and the caller should treat it as refused.
    /// </summary>
    public bool TryRecordFailure(string source, long now, out bool firstInWindow)
    {
        lock (_lock)
        {
            Sweep(now);
            firstInWindow = false;
            var key = SourcePrefix.Of(source);
            if (!_sources.TryGetValue(key, out var entry))
            {
                if (_sources.Count >= _maxSources)
                {
                    Drop(_lru.Last!.Value);
                }

                entry = new Entry(key);
                entry.Node = _lru.AddFirst(entry);
                _sources[key] = entry;
            }

            Touch(entry);
            if (Trim(entry, now) >= _max)
            {
                firstInWindow = Refused(entry, now);
                return false;
            }

            entry.Failures.Enqueue(now);
            return true;
        }
    }

    private bool Refused(Entry entry, long now)
    {
        if (now < entry.LoggedUntil)
        {
            return false;
        }

        entry.LoggedUntil = now + _windowMs;
        return true;
    }

    private int Trim(Entry entry, long now)
    {
        while (entry.Failures.Count > 0 && entry.Failures.Peek() <= now - _windowMs)
        {
            entry.Failures.Dequeue();
        }

        return entry.Failures.Count;
    }

    private void Touch(Entry entry)
    {
        _lru.Remove(entry.Node!);
        _lru.AddFirst(entry.Node!);
    }

    private void Sweep(long now)
    {
        for (var i = 0; i < SweepSteps && _lru.Last is { } last; i++)
        {
            var entry = last.Value;
            if (Trim(entry, now) > 0 || now < entry.LoggedUntil)
            {
                return;
            }

            Drop(entry);
        }
    }

    private void Drop(Entry entry)
    {
        _lru.Remove(entry.Node!);
        _sources.Remove(entry.Key);
    }

    private sealed class Entry(string key)
    {
        public string Key { get; } = key;

        public Queue<long> Failures { get; } = new();

        public long LoggedUntil { get; set; }

        public LinkedListNode<Entry>? Node { get; set; }
    }
}
