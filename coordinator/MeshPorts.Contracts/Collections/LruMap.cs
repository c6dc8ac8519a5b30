using System.Diagnostics.CodeAnalysis;

namespace MeshPorts.Contracts.Collections;

/// <summary>
/// A string-keyed map of at most <c>capacity</c> entries that knows which was used least recently, so a
/// table an unauthenticated caller can grow (one entry per source address, say) stays bounded: adding
/// past the capacity evicts the least recently used entry. Not thread-safe; callers hold their own lock.
/// </summary>
public sealed class LruMap<TValue>
    where TValue : class
{
    private readonly int _capacity;
    private readonly Dictionary<string, LinkedListNode<(string Key, TValue Value)>> _map = new(StringComparer.Ordinal);

    // Most recently used first.
    private readonly LinkedList<(string Key, TValue Value)> _order = new();

    public LruMap(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    public int Count => _map.Count;

    /// <summary>Looks an entry up without counting it as a use.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TValue value)
    {
        if (_map.TryGetValue(key, out var node))
        {
            value = node.Value.Value;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>The entry for <paramref name="key"/>, made by <paramref name="create"/> (evicting the least recently used when full) if there is none; either way it becomes the most recently used.</summary>
    public TValue Use(string key, Func<string, TValue> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (_map.TryGetValue(key, out var node))
        {
            MoveToFront(node);
            return node.Value.Value;
        }

        if (_map.Count >= _capacity && _order.Last is { } oldest)
        {
            Remove(oldest.Value.Key);
        }

        var value = create(key);
        _map[key] = _order.AddFirst((key, value));
        return value;
    }

    /// <summary>Counts a use of the entry for <paramref name="key"/>, if there is one.</summary>
    public void Touch(string key)
    {
        if (_map.TryGetValue(key, out var node))
        {
            MoveToFront(node);
        }
    }

    /// <summary>The least recently used entry, if any.</summary>
    public bool TryPeekOldest([MaybeNullWhen(false)] out string key, [MaybeNullWhen(false)] out TValue value)
    {
        if (_order.Last is { } oldest)
        {
            (key, value) = oldest.Value;
            return true;
        }

        key = null;
        value = null;
        return false;
    }

    public bool Remove(string key)
    {
        if (!_map.Remove(key, out var node))
        {
            return false;
        }

        _order.Remove(node);
        return true;
    }

    private void MoveToFront(LinkedListNode<(string Key, TValue Value)> node)
    {
        _order.Remove(node);
        _order.AddFirst(node);
    }
}
