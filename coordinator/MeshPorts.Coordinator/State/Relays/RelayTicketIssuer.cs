using Google.Protobuf;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Relay;
using MeshPorts.Coordinator.Storage;
using NSec.Cryptography;

namespace MeshPorts.Coordinator.State.Relays;

/// <summary>
/// Answers GetRelayTicket: a ticket signed with DATA/relay-signing.key naming the caller, its machine key
/// and exactly the peers of its current netmap, valid <see cref="Lifetime"/>, with the relays it may use.
/// A relay forwards between two nodes only while both tickets name each other, so a peer that leaves the
/// netmap (grant revoked or ended) leaves the next ticket too.
/// </summary>
internal sealed class RelayTicketIssuer
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    /// <summary>relay.proto: at most this many peers in one ticket.</summary>
    public const int MaxPeers = 65_536;

    private readonly Key _key;
    private readonly RelayDirectory _directory;
    private readonly TimeProvider _time;
    private readonly RelayServer? _embedded;

    /// <param name="embedded">The relay embedded in the coordinator, listed first; null when it is off (--relay off).</param>
    public RelayTicketIssuer(Key key, RelayDirectory directory, TimeProvider time, RelayServer? embedded = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(time);
        _key = key;
        _directory = directory;
        _time = time;
        _embedded = embedded;
    }

    public RelayTicketResponse Issue(NodeRecord node, IReadOnlyCollection<string> peerNodeIds)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(peerNodeIds);
        if (peerNodeIds.Count > MaxPeers)
        {
            throw new StateException(StateError.ResourceExhausted, $"node {node.Name} has {peerNodeIds.Count} peers, more than a relay ticket holds ({MaxPeers})");
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var ticket = new RelayTicket
        {
            NodeId = node.Id,
            MachinePublicKey = ByteString.CopyFrom(node.MachineKey),
            IssuedUnixMs = now,
            NotAfterUnixMs = now + (long)Lifetime.TotalMilliseconds,
        };
        ticket.PeerNodeIds.AddRange(peerNodeIds.Order(StringComparer.Ordinal));
        var signed = RelayTickets.Sign(_key, ticket);
        var response = new RelayTicketResponse { Ticket = signed.Ticket, Signature = signed.Signature };
        if (_embedded is not null)
        {
            response.Relays.Add(_embedded.Clone());
        }

        response.Relays.AddRange(_directory.Active());
        return response;
    }
}
