using System.Buffers.Binary;
using System.Security.Cryptography;

namespace MeshPorts.WireGuard.Sessions;

/// <summary>
/// Random 32-bit receiver indices, unique across all peers, so an incoming response or transport
/// packet finds its session in O(1) without revealing how many sessions exist. 0 is never handed
/// out and means "none".
/// </summary>
internal sealed class IndexTable
{
    private readonly Dictionary<uint, IndexEntry> _entries = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public uint RegisterHandshake(Peer peer)
    {
        Span<byte> random = stackalloc byte[4];
        lock (_lock)
        {
            while (true)
            {
                RandomNumberGenerator.Fill(random);
                var index = BinaryPrimitives.ReadUInt32LittleEndian(random);
                if (index != 0 && _entries.TryAdd(index, new IndexEntry(peer, null)))
                {
                    return index;
                }
            }
        }
    }

    /// <summary>The handshake's index now names the keypair it produced.</summary>
    public void AssignKeypair(uint index, Keypair keypair)
    {
        lock (_lock)
        {
            _entries[index] = new IndexEntry(keypair.Peer, keypair);
        }
    }

    public bool TryLookup(uint index, out IndexEntry entry)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(index, out entry);
        }
    }

    public void Remove(uint index)
    {
        if (index == 0)
        {
            return;
        }

        lock (_lock)
        {
            _entries.Remove(index);
        }
    }
}
