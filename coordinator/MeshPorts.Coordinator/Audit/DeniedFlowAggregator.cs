namespace MeshPorts.Coordinator.Audit;

/// <summary>
/// Counts distinct (node, port/proto) targets each source was denied on within a sliding window. When
/// a source crosses the threshold it raises ONE alert for that window, not one per packet or report.
/// </summary>
internal sealed class DeniedFlowAggregator
{
    private readonly int _threshold;
    private readonly long _windowMs;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<(long Time, string Target)>> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _alertedUntil = new(StringComparer.Ordinal);

    public DeniedFlowAggregator(int threshold, TimeSpan window)
    {
        _threshold = threshold;
        _windowMs = (long)window.TotalMilliseconds;
    }

    /// <summary>Records one denied target; returns the distinct-target count if this crossed the threshold, else null.</summary>
    public int? Record(string source, string target, long now)
    {
        lock (_lock)
        {
            if (!_seen.TryGetValue(source, out var list))
            {
                _seen[source] = list = [];
            }

            list.RemoveAll(e => e.Time <= now - _windowMs);
            list.Add((now, target));
            var distinct = list.Select(e => e.Target).Distinct(StringComparer.Ordinal).Count();
            if (distinct < _threshold || (_alertedUntil.TryGetValue(source, out var until) && now < until))
            {
                return null;
            }

            _alertedUntil[source] = now + _windowMs;
            return distinct;
        }
    }
}
