using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Filter;

/// <summary>
/// Groups refused flow openings by (peer, protocol, port) between drains, so a scan or a flood becomes a
/// few counted lines for the coordinator. Memory is bounded: past the group limit new groups are only
/// counted in <see cref="Overflow"/>.
/// </summary>
internal sealed class DeniedFlowAggregator
{
    private readonly Lock _lock = new();
    private readonly int _maxGroups;
    private Dictionary<DeniedFlowKey, DeniedFlowEntry> _groups = [];
    private long _overflow;

    public DeniedFlowAggregator(int maxGroups)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGroups, 1);
        _maxGroups = maxGroups;
    }

    /// <summary>Denials that found no room for their group since the last drain.</summary>
    public long Overflow => Interlocked.Read(ref _overflow);

    public int GroupCount
    {
        get
        {
            lock (_lock)
            {
                return _groups.Count;
            }
        }
    }

    public void Record(in WgKey peer, in ParsedPacket packet, long nowTicks)
    {
        var key = new DeniedFlowKey(peer, packet.Protocol, packet.DestinationPort);
        lock (_lock)
        {
            if (_groups.Count >= _maxGroups && !_groups.ContainsKey(key))
            {
                _overflow++;
                return;
            }

            ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_groups, key, out var exists);
            if (!exists)
            {
                entry.FirstTicks = nowTicks;
            }

            entry.Count++;
            entry.LastTicks = nowTicks;
            entry.IsIPv6 = packet.IsIPv6;
            entry.Source = packet.Source;
            entry.Destination = packet.Destination;
        }
    }

    /// <summary>Returns the groups gathered since the last drain and starts afresh.</summary>
    public IReadOnlyList<DeniedFlowRecord> Drain()
    {
        Dictionary<DeniedFlowKey, DeniedFlowEntry> groups;
        lock (_lock)
        {
            groups = _groups;
            _groups = [];
            _overflow = 0;
        }

        var records = new List<DeniedFlowRecord>(groups.Count);
        foreach (var (key, entry) in groups)
        {
            records.Add(new DeniedFlowRecord(
                key.Peer,
                key.IpProtocol,
                key.Port,
                ToAddress(entry.Source, entry.IsIPv6),
                ToAddress(entry.Destination, entry.IsIPv6),
                entry.Count,
                new DateTimeOffset(entry.FirstTicks, TimeSpan.Zero),
                new DateTimeOffset(entry.LastTicks, TimeSpan.Zero)));
        }

        return records;
    }

    private static IPAddress ToAddress(UInt128 address, bool isIPv6)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (isIPv6)
        {
            BinaryPrimitives.WriteUInt128BigEndian(bytes, address);
            return new IPAddress(bytes);
        }

        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)address);
        return new IPAddress(bytes[..4]);
    }
}
