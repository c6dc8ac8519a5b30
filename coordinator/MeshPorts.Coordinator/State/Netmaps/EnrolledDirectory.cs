using System.Collections.Frozen;
using System.Net;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>
/// A lock-free snapshot of who is enrolled, rebuilt whenever the node set changes: which machine keys
/// may ask for a challenge, and which node holds an overlay address. Unauthenticated and report paths
/// read it without taking the state gate, so a flood of them cannot queue behind store writes.
/// </summary>
internal sealed class EnrolledDirectory
{
    public static readonly EnrolledDirectory Empty = new(FrozenSet<string>.Empty, FrozenDictionary<IPAddress, NodeRecord>.Empty);

    private readonly FrozenSet<string> _machineKeys;
    private readonly FrozenDictionary<IPAddress, NodeRecord> _byAddress;

    private EnrolledDirectory(FrozenSet<string> machineKeys, FrozenDictionary<IPAddress, NodeRecord> byAddress)
    {
        _machineKeys = machineKeys;
        _byAddress = byAddress;
    }

    public static EnrolledDirectory Build(IEnumerable<NodeRecord> nodes, OverlayAddressing addressing)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var addresses = new Dictionary<IPAddress, NodeRecord>();
        foreach (var n in nodes)
        {
            keys.Add(Convert.ToHexString(n.MachineKey));
            addresses[IPAddress.Parse(OverlayAddressing.Ipv4(n.AddressIndex))] = n;
            addresses[IPAddress.Parse(addressing.Ipv6(n.AddressIndex))] = n;
        }

        return new EnrolledDirectory(keys.ToFrozenSet(StringComparer.Ordinal), addresses.ToFrozenDictionary());
    }

    public bool IsEnrolled(ReadOnlySpan<byte> machineKey) => _machineKeys.Contains(Convert.ToHexString(machineKey));

    /// <summary>The node whose overlay address this is, or null if it is no enrolled node's.</summary>
    public NodeRecord? NodeAt(IPAddress address) => _byAddress.GetValueOrDefault(address);
}
