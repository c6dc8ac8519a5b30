using System.Security.Cryptography;

namespace MeshPorts.Coordinator.Auth;

/// <summary>
/// Single-use server nonces. A signature over a nonce can be replayed at most never: the nonce is
/// removed on first use, and unused ones lapse after their lifetime. Anyone can ask for a nonce, so
/// memory is bounded three ways (per machine key, per source prefix, in total), each by dropping the
/// oldest, and expiry pops from the front of the issue-ordered list: no request ever scans the store.
/// </summary>
internal sealed class ChallengeStore
{
    private const int NonceSize = 32;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _byNonce = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkedList<Entry>> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkedList<Entry>> _bySource = new(StringComparer.Ordinal);

    // Every nonce lives equally long, so issue order is expiry order.
    private readonly LinkedList<Entry> _order = new();
    private readonly TimeProvider _time;
    private readonly long _lifetimeMs;
    private readonly int _perKey;
    private readonly int _perSource;
    private readonly int _total;

    public ChallengeStore(TimeProvider time, TimeSpan lifetime, int perKey, int perSource, int total)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perKey, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perSource, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(total, 1);
        _time = time;
        _lifetimeMs = (long)lifetime.TotalMilliseconds;
        _perKey = perKey;
        _perSource = perSource;
        _total = total;
    }

    /// <summary>Nonces currently held, expired ones included until the next issue pops them.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byNonce.Count;
            }
        }
    }

    public (byte[] Nonce, long ExpiresAt) Issue(ReadOnlySpan<byte> machineKey, string source)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var entry = new Entry(Convert.ToHexString(nonce), Convert.ToHexString(machineKey), SourcePrefix.Of(source), now + _lifetimeMs);
        lock (_lock)
        {
            while (_order.First is { } first && first.Value.ExpiresAt <= now)
            {
                Remove(first.Value);
            }

            var byKey = ListFor(_byKey, entry.MachineKey);
            if (byKey.Count >= _perKey)
            {
                Remove(byKey.First!.Value);
            }

            var bySource = ListFor(_bySource, entry.Source);
            if (bySource.Count >= _perSource)
            {
                Remove(bySource.First!.Value);
            }

            if (_byNonce.Count >= _total)
            {
                Remove(_order.First!.Value);
            }

            // Removing may have emptied and dropped the lists fetched above; fetch them again.
            _byNonce[entry.Nonce] = entry;
            entry.OrderNode = _order.AddLast(entry);
            entry.KeyNode = ListFor(_byKey, entry.MachineKey).AddLast(entry);
            entry.SourceNode = ListFor(_bySource, entry.Source).AddLast(entry);
        }

        return (nonce, entry.ExpiresAt);
    }

    /// <summary>True if the nonce was issued to this machine key, is unexpired, and was not used before.</summary>
    public bool TryConsume(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> machineKey)
    {
        if (nonce.Length != NonceSize)
        {
            return false;
        }

        Entry? entry;
        lock (_lock)
        {
            if (!_byNonce.TryGetValue(Convert.ToHexString(nonce), out entry))
            {
                return false;
            }

            Remove(entry);
        }

        return entry.ExpiresAt > _time.GetUtcNow().ToUnixTimeMilliseconds()
            && string.Equals(entry.MachineKey, Convert.ToHexString(machineKey), StringComparison.Ordinal);
    }

    private static LinkedList<Entry> ListFor(Dictionary<string, LinkedList<Entry>> index, string key)
    {
        if (!index.TryGetValue(key, out var list))
        {
            index[key] = list = new LinkedList<Entry>();
        }

        return list;
    }

    private void Remove(Entry entry)
    {
        _byNonce.Remove(entry.Nonce);
        _order.Remove(entry.OrderNode!);
        Unlink(_byKey, entry.MachineKey, entry.KeyNode!);
        Unlink(_bySource, entry.Source, entry.SourceNode!);
    }

    private static void Unlink(Dictionary<string, LinkedList<Entry>> index, string key, LinkedListNode<Entry> node)
    {
        var list = node.List!;
        list.Remove(node);
        if (list.Count == 0)
        {
            index.Remove(key);
        }
    }

    private sealed class Entry(string nonce, string machineKey, string source, long expiresAt)
    {
        public string Nonce { get; } = nonce;

        public string MachineKey { get; } = machineKey;

        public string Source { get; } = source;

        public long ExpiresAt { get; } = expiresAt;

        public LinkedListNode<Entry>? OrderNode { get; set; }

        public LinkedListNode<Entry>? KeyNode { get; set; }

        public LinkedListNode<Entry>? SourceNode { get; set; }
    }
}
