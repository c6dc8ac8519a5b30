using System.Buffers.Binary;

namespace MeshPorts.Node.Routing;

/// <summary>
/// WireGuard's cryptokey routing table (whitepaper §2): maps IP prefixes to an owner (a peer) and
/// answers "which peer owns this address?" by longest-prefix match, for outgoing packets (who to
/// encrypt to) and incoming ones (did the sender own this source address?).
/// </summary>
/// <remarks>
/// One path-compressed binary trie per address family. Nodes are immutable: a write copies the path
/// from the root to the change and publishes a new root with a volatile store, so the per-packet
/// <see cref="Lookup"/> takes no lock, never allocates and always sees a complete tree. Writers are
/// serialized by a lock; they are rare (configuration changes).
/// </remarks>
internal sealed class AllowedIpsTable<T>
    where T : class
{
    private readonly Lock _writeLock = new();

    // Per-owner prefixes in insertion order: answers EnumerateFor/RemoveAll without a tree walk and
    // lists allowed IPs in the order they were configured, as wg show does for wireguard-go.
    private readonly Dictionary<T, List<IpPrefix>> _byOwner = new(ReferenceEqualityComparer.Instance);

    private TrieNode<T>? _root4;
    private TrieNode<T>? _root6;

    /// <summary>Number of prefixes in the table.</summary>
    public int Count
    {
        get
        {
            lock (_writeLock)
            {
                var n = 0;
                foreach (var list in _byOwner.Values)
                {
                    n += list.Count;
                }

                return n;
            }
        }
    }

    /// <summary>Gives <paramref name="prefix"/> to <paramref name="owner"/>, taking it from any previous owner.</summary>
    public void Insert(IpPrefix prefix, T owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_writeLock)
        {
            var root = prefix.IsIPv4 ? _root4 : _root6;
            var previous = TrieNode<T>.Find(root, prefix.Bits, prefix.Length);
            if (ReferenceEquals(previous, owner))
            {
                return;
            }

            if (previous is not null)
            {
                ForgetOwnership(previous, prefix);
            }

            Publish(prefix.IsIPv4, TrieNode<T>.Insert(root, prefix.Bits, prefix.Length, owner));
            if (!_byOwner.TryGetValue(owner, out var list))
            {
                list = [];
                _byOwner.Add(owner, list);
            }

            list.Add(prefix);
        }
    }

    /// <summary>Removes <paramref name="prefix"/> if, and only if, <paramref name="owner"/> holds it.</summary>
    public bool Remove(IpPrefix prefix, T owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_writeLock)
        {
            var root = prefix.IsIPv4 ? _root4 : _root6;
            if (!ReferenceEquals(TrieNode<T>.Find(root, prefix.Bits, prefix.Length), owner))
            {
                return false;
            }

            Publish(prefix.IsIPv4, TrieNode<T>.Remove(root, prefix.Bits, prefix.Length));
            ForgetOwnership(owner, prefix);
            return true;
        }
    }

    /// <summary>Removes every prefix of <paramref name="owner"/>; returns how many there were.</summary>
    public int RemoveAll(T owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_writeLock)
        {
            if (!_byOwner.Remove(owner, out var list))
            {
                return 0;
            }

            // Build both new roots first and publish once per family, so a reader never sees the
            // owner half removed.
            var root4 = _root4;
            var root6 = _root6;
            foreach (var prefix in list)
            {
                if (prefix.IsIPv4)
                {
                    root4 = TrieNode<T>.Remove(root4, prefix.Bits, prefix.Length);
                }
                else
                {
                    root6 = TrieNode<T>.Remove(root6, prefix.Bits, prefix.Length);
                }
            }

            Volatile.Write(ref _root4, root4);
            Volatile.Write(ref _root6, root6);
            return list.Count;
        }
    }

    /// <summary>Removes everything.</summary>
    public void Clear()
    {
        lock (_writeLock)
        {
            _byOwner.Clear();
            Volatile.Write(ref _root4, null);
            Volatile.Write(ref _root6, null);
        }
    }

    /// <summary>The prefixes <paramref name="owner"/> holds, in the order they were inserted (a copy).</summary>
    public IReadOnlyList<IpPrefix> EnumerateFor(T owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_writeLock)
        {
            return _byOwner.TryGetValue(owner, out var list) ? list.ToArray() : [];
        }
    }

    /// <summary>The owner of the longest prefix containing <paramref name="address"/> (4 or 16 bytes), or null.</summary>
    public T? Lookup(ReadOnlySpan<byte> address)
    {
        if (address.Length == 4)
        {
            return TrieNode<T>.Lookup(Volatile.Read(ref _root4), (UInt128)BinaryPrimitives.ReadUInt32BigEndian(address) << 96);
        }

        if (address.Length == 16)
        {
            return TrieNode<T>.Lookup(Volatile.Read(ref _root6), BinaryPrimitives.ReadUInt128BigEndian(address));
        }

        throw new ArgumentException("An IP address is 4 or 16 bytes.", nameof(address));
    }

    private void Publish(bool ipv4, TrieNode<T>? root)
    {
        if (ipv4)
        {
            Volatile.Write(ref _root4, root);
        }
        else
        {
            Volatile.Write(ref _root6, root);
        }
    }

    private void ForgetOwnership(T owner, IpPrefix prefix)
    {
        if (_byOwner.TryGetValue(owner, out var list))
        {
            list.Remove(prefix);
            if (list.Count == 0)
            {
                _byOwner.Remove(owner);
            }
        }
    }
}
