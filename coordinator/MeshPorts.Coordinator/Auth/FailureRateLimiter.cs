using MeshPorts.Contracts.Collections;

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
    private readonly Lock _lock = new();
    private readonly LruMap<Entry> _sources;

    public FailureRateLimiter(int max, TimeSpan window, int maxSources)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSources, 1);
        _max = max;
        _windowMs = (long)window.TotalMilliseconds;
        _sources = new LruMap<Entry>(maxSources);
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
            var key = SourcePrefix.Of(source);
            if (!_sources.TryGetValue(key, out var entry) || Trim(entry, now) < _max)
            {
                return false;
            }

            _sources.Touch(key);
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
            var entry = _sources.Use(SourcePrefix.Of(source), static key => new Entry());
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

    private void Sweep(long now)
    {
        for (var i = 0; i < SweepSteps && _sources.TryPeekOldest(out var key, out var entry); i++)
        {
            if (Trim(entry, now) > 0 || now < entry.LoggedUntil)
            {
                return;
            }

            _sources.Remove(key);
        }
    }

    private sealed class Entry
    {
        public Queue<long> Failures { get; } = new();

        public long LoggedUntil { get; set; }
    }
}
