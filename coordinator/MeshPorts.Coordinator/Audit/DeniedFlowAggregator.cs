using MeshPorts.Contracts.Collections;

namespace MeshPorts.Coordinator.Audit;

/// <summary>
/// Counts distinct (node, port/proto) targets each source was denied on within a sliding window. When
/// a source crosses the threshold it raises ONE alert for that window, not one per packet or report.
/// Bounded: at most <c>maxSources</c> sources (least recently used evicted) and <c>maxTargets</c>
/// targets each (past that the count saturates; it is already over the threshold). Sources idle for a
/// window are forgotten a few at a time as later records pass by, so no call scans everything.
/// </summary>
internal sealed class DeniedFlowAggregator
{
    private const int SweepSteps = 8;

    private readonly int _threshold;
    private readonly long _windowMs;
    private readonly int _maxTargets;
    private readonly Lock _lock = new();
    private readonly LruMap<SourceEntry> _sources;

    public DeniedFlowAggregator(int threshold, TimeSpan window, int maxSources, int maxTargets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSources, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTargets, threshold);
        _threshold = threshold;
        _windowMs = (long)window.TotalMilliseconds;
        _sources = new LruMap<SourceEntry>(maxSources);
        _maxTargets = maxTargets;
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

    /// <summary>Records one denied target; returns the distinct-target count if this crossed the threshold, else null.</summary>
    public int? Record(string source, string target, long now)
    {
        lock (_lock)
        {
            Sweep(now);
            var entry = _sources.Use(source, static _ => new SourceEntry());
            entry.LastSeen = now;
            Trim(entry, now);
            if (entry.Index.TryGetValue(target, out var seen))
            {
                entry.Targets.Remove(seen);
                seen.Value = (target, now);
                entry.Targets.AddLast(seen);
            }
            else if (entry.Targets.Count < _maxTargets)
            {
                entry.Index[target] = entry.Targets.AddLast((target, now));
            }

            var distinct = entry.Targets.Count;
            if (distinct < _threshold || now < entry.AlertedUntil)
            {
                return null;
            }

            entry.AlertedUntil = now + _windowMs;
            return distinct;
        }
    }

    private void Trim(SourceEntry entry, long now)
    {
        while (entry.Targets.First is { } oldest && oldest.Value.Time <= now - _windowMs)
        {
            entry.Index.Remove(oldest.Value.Target);
            entry.Targets.RemoveFirst();
        }
    }

    private void Sweep(long now)
    {
        for (var i = 0; i < SweepSteps && _sources.TryPeekOldest(out var source, out var entry); i++)
        {
            // Idle for a whole window means every target and the alert suppression have lapsed too.
            if (entry.LastSeen > now - _windowMs)
            {
                return;
            }

            _sources.Remove(source);
        }
    }

    private sealed class SourceEntry
    {
        // Oldest sighting first, so trimming the window pops from the front.
        public LinkedList<(string Target, long Time)> Targets { get; } = new();

        public Dictionary<string, LinkedListNode<(string Target, long Time)>> Index { get; } = new(StringComparer.Ordinal);

        public long LastSeen { get; set; }

        public long AlertedUntil { get; set; }
    }
}
