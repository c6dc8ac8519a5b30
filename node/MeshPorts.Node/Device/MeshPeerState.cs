using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Device;

/// <summary>What the device keeps about a mesh peer, hung on the engine's peer (<c>Peer.DeviceState</c>).</summary>
internal sealed class MeshPeerState
{
    public MeshPeerState(string nodeId, RelayedPeer relay)
    {
        NodeId = nodeId;
        Identity = MeshIdentity.ForNode(nodeId);
        Relay = relay;
    }

    public string NodeId { get; }

    public WgKey Identity { get; }

    /// <summary>The peer's relay slot: its virtual endpoint while relayed, and its relayed byte counts.</summary>
    public RelayedPeer Relay { get; }

    public string Name { get; set; } = "";

    /// <summary>The coordinator's end for the peer, for status; enforced through <see cref="DeadlineTicks"/>.</summary>
    public DateTimeOffset ValidUntil { get; set; }

    /// <summary>ValidUntil as a monotonic deadline taken when it arrived (see Clock.CoordinatorClock).</summary>
    public long DeadlineTicks { get; set; }

    /// <summary>
    /// The candidates last applied; the endpoint is only reset when these change, so roaming sticks. With
    /// <see cref="DeviceOptions.PathManaged"/> they are only kept: the path manager picks among them.
    /// </summary>
    public IReadOnlyList<PeerEndpoint> Endpoints { get; set; } = [];
}
