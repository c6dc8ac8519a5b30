using MeshPorts.Contracts.Node;

namespace MeshPorts.Coordinator.State.Relays;

/// <summary>
/// The standalone relays that announced themselves (RegisterRelay), kept in memory: a relay that stops
/// announcing for <see cref="Lifetime"/> is no longer listed to nodes. Nothing here is stored, because
/// a relay says it again every 30 s and after a coordinator restart within one interval. Thread-safe.
/// </summary>
internal sealed class RelayDirectory
{
    /// <summary>Relays listed at most; only nodes whose token carries the relay tag can register, so this is a guard, not a quota.</summary>
    public const int Capacity = 256;

    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(90);

    public static readonly TimeSpan ReregisterInterval = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, (RelayServer Relay, DateTimeOffset SeenAt)> _relays = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    public RelayDirectory(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
    }

    /// <summary>Adds or refreshes a relay; false when the directory is full of other live relays.</summary>
    public bool Register(RelayServer relay)
    {
        ArgumentNullException.ThrowIfNull(relay);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (!_relays.ContainsKey(relay.Id))
            {
                RemoveExpiredLocked(now);
                if (_relays.Count >= Capacity)
                {
                    return false;
                }
            }

            _relays[relay.Id] = (relay.Clone(), now);
            return true;
        }
    }

    /// <summary>Forgets a relay (its node was removed).</summary>
    public void Remove(string id)
    {
        lock (_lock)
        {
            _relays.Remove(id);
        }
    }

    /// <summary>The live relays, ordered by id.</summary>
    public IReadOnlyList<RelayServer> Active()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            RemoveExpiredLocked(now);
            return [.. _relays.Values.Select(r => r.Relay.Clone()).OrderBy(r => r.Id, StringComparer.Ordinal)];
        }
    }

    private void RemoveExpiredLocked(DateTimeOffset now)
    {
        foreach (var (id, entry) in _relays.ToList())
        {
            if (now - entry.SeenAt > Lifetime)
            {
                _relays.Remove(id);
            }
        }
    }
}
