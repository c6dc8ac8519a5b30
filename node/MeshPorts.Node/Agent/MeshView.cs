using System.Net;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Device;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Paths;
using MeshPorts.Node.Routing;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using ProtoPeer = MeshPorts.Contracts.Node.Peer;

namespace MeshPorts.Node.Agent;

/// <summary>
/// The node's copy of what the coordinator says about it: itself, its peers and its inbound rules,
/// rebuilt from snapshots and contiguous deltas. Pure (no IO); <see cref="ToDeviceConfig"/> turns it
/// into what the device applies. Entries the node cannot use (a malformed key or prefix, a grant
/// without an end) are left out and counted, never guessed at: the node fails closed.
/// </summary>
internal sealed class MeshView
{
    private readonly Dictionary<string, ProtoPeer> _peers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InboundRule> _rules = new(StringComparer.Ordinal);

    /// <summary>
    /// True when this node answers DNS (<c>up</c> without --no-dns): <see cref="ToDeviceConfig"/> then adds,
    /// for every peer, a rule admitting its queries to this node's port 53/udp until the peer's valid_until.
    /// A peer listed here may see this node, so it may ask it for names; the answers show it no more than
    /// this node and itself (Names/NameAnswerer). Everything else stays deny by default.
    /// </summary>
    public bool ServeNames { get; init; }

    /// <summary>The rule id prefix of those DNS rules (the coordinator's ids start with what allowed them: grant:, policy:).</summary>
    public const string NamesRulePrefix = "node:dns/";

    /// <summary>The serial of the last snapshot or delta applied; 0 before the first snapshot.</summary>
    public ulong Serial { get; private set; }

    /// <summary>The node itself as the coordinator last described it.</summary>
    public SelfInfo? Self { get; private set; }

    public bool HasSnapshot { get; private set; }

    public int PeerCount => _peers.Count;

    public int RuleCount => _rules.Count;

    /// <summary>Entries left out of the last <see cref="ToDeviceConfig"/> because the node could not use them.</summary>
    public int Rejected { get; private set; }

    /// <summary>Forgets the serial so the next Watch asks for a full snapshot; the contents stay until it arrives.</summary>
    public void Reset()
    {
        HasSnapshot = false;
        Serial = 0;
    }

    public WatchApplyOutcome Apply(WatchEvent watchEvent)
    {
        ArgumentNullException.ThrowIfNull(watchEvent);
        switch (watchEvent.EventCase)
        {
            case WatchEvent.EventOneofCase.Snapshot:
                _peers.Clear();
                _rules.Clear();
                Self = watchEvent.Snapshot.Self;
                foreach (var peer in watchEvent.Snapshot.Peers)
                {
                    _peers[peer.NodeId] = peer;
                }

                foreach (var rule in watchEvent.Snapshot.InboundRules)
                {
                    _rules[rule.Id] = rule;
                }

                Serial = watchEvent.Serial;
                HasSnapshot = true;
                return WatchApplyOutcome.Applied;

            case WatchEvent.EventOneofCase.Delta:
                if (!HasSnapshot || watchEvent.Serial <= Serial)
                {
                    // A replayed delta after a resume is harmless; one before any snapshot is not usable.
                    return HasSnapshot ? WatchApplyOutcome.NoChange : WatchApplyOutcome.Gap;
                }

                if (watchEvent.Serial != Serial + 1)
                {
                    return WatchApplyOutcome.Gap;
                }

                ApplyDelta(watchEvent.Delta);
                Serial = watchEvent.Serial;
                return WatchApplyOutcome.Applied;

            default:
                return WatchApplyOutcome.NoChange;
        }
    }

    private void ApplyDelta(Delta delta)
    {
        if (delta.Self is not null)
        {
            Self = delta.Self;
        }

        foreach (var id in delta.PeersRemoved)
        {
            _peers.Remove(id);
        }

        foreach (var peer in delta.PeersUpserted)
        {
            _peers[peer.NodeId] = peer;
        }

        foreach (var id in delta.RulesRemoved)
        {
            _rules.Remove(id);
        }

        foreach (var rule in delta.RulesAdded)
        {
            _rules[rule.Id] = rule;
        }
    }

    /// <summary>The device's mesh configuration for the current view.</summary>
    public DeviceMeshConfig ToDeviceConfig()
    {
        var rejected = 0;
        var peers = new List<MeshPeerConfig>(_peers.Count);
        foreach (var peer in _peers.Values.OrderBy(p => p.NodeId, StringComparer.Ordinal))
        {
            if (TryConvert(peer) is { } config)
            {
                peers.Add(config);
            }
            else
            {
                rejected++;
            }
        }

        var rules = new List<FilterRule>(_rules.Count);
        foreach (var rule in _rules.Values.OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            if (TryConvert(rule) is { } filterRule)
            {
                rules.Add(filterRule);
            }
            else
            {
                rejected++;
            }
        }

        if (ServeNames)
        {
            foreach (var peer in peers)
            {
                rules.Add(new FilterRule(NamesRulePrefix + peer.NodeId, FilterRuleKind.Rule, MeshIdentity.ForNode(peer.NodeId), FilterProtocol.Udp, Names.NameServer.DnsPort, Names.NameServer.DnsPort, peer.ValidUntil));
            }
        }

        Rejected = rejected;
        return new DeviceMeshConfig(peers, rules);
    }

    /// <summary>
    /// The peers as the path manager and the relay client take them (<see cref="PathManager.Update"/>):
    /// exactly the peers <see cref="ToDeviceConfig"/> puts on the device, with their previous key while a
    /// rotation is under way and their home relay. A previous key that is not 32 bytes is left out.
    /// </summary>
    public IReadOnlyList<PathPeer> ToPathPeers()
    {
        var peers = new List<PathPeer>(_peers.Count);
        foreach (var peer in _peers.Values.OrderBy(p => p.NodeId, StringComparer.Ordinal))
        {
            if (TryConvert(peer) is not { } config)
            {
                continue;
            }

            WgKey? previous = peer.PreviousWireguardPublicKey.Length == WgKey.Size
                ? WgKey.FromBytes(peer.PreviousWireguardPublicKey.Span)
                : null;
            var homeRelay = string.IsNullOrEmpty(peer.HomeRelay) ? null : peer.HomeRelay;
            peers.Add(new PathPeer(config.NodeId, config.PublicKey, previous, config.Endpoints, homeRelay));
        }

        return peers;
    }

    /// <summary>The whole view as one snapshot event at the current serial, for the netmap cache.</summary>
    public WatchEvent ToSnapshotEvent()
    {
        var snapshot = new Snapshot { Self = Self };
        snapshot.Peers.Add(_peers.Values);
        snapshot.InboundRules.Add(_rules.Values);
        return new WatchEvent { Serial = Serial, Snapshot = snapshot };
    }

    /// <summary>The peers as the coordinator sent them, for status output.</summary>
    public IReadOnlyCollection<ProtoPeer> Peers => _peers.Values;

    private static MeshPeerConfig? TryConvert(ProtoPeer peer)
    {
        if (string.IsNullOrEmpty(peer.NodeId) || peer.WireguardPublicKey.Length != WgKey.Size || peer.ValidUntil is null)
        {
            return null;
        }

        var prefixes = new List<IpPrefix>(peer.AllowedIps.Count);
        foreach (var text in peer.AllowedIps)
        {
            if (!IpPrefix.TryParse(text, out var prefix))
            {
                return null;
            }

            prefixes.Add(prefix);
        }

        var endpoints = new List<PeerEndpoint>(peer.Endpoints.Count);
        foreach (var text in peer.Endpoints)
        {
            // Only literal addresses: resolving names is the coordinator's job, and a bad one is skipped.
            if (IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0)
            {
                endpoints.Add(PeerEndpoint.FromIPEndPoint(endpoint));
            }
        }

        return new MeshPeerConfig(
            peer.NodeId,
            peer.Name,
            WgKey.FromBytes(peer.WireguardPublicKey.Span),
            prefixes,
            endpoints,
            peer.ValidUntil.ToDateTimeOffset());
    }

    private static FilterRule? TryConvert(InboundRule rule)
    {
        if (string.IsNullOrEmpty(rule.Id) || string.IsNullOrEmpty(rule.SourceNodeId) || rule.Port is < 1 or > ushort.MaxValue)
        {
            return null;
        }

        FilterProtocol protocol;
        switch (rule.Protocol)
        {
            case Protocol.Tcp:
                protocol = FilterProtocol.Tcp;
                break;
            case Protocol.Udp:
                protocol = FilterProtocol.Udp;
                break;
            default:
                return null;
        }

        // allowed_by is for logs only. A kind this node does not know (UNSPECIFIED, from a coordinator older
        // than the field) is read as a grant, so a rule without an end is refused rather than kept forever.
        var kind = rule.Kind == RuleKind.Policy ? FilterRuleKind.Rule : FilterRuleKind.Grant;
        DateTimeOffset? notAfter = rule.NotAfter?.ToDateTimeOffset();
        if (kind == FilterRuleKind.Grant && notAfter is null)
        {
            return null;
        }

        var sources = new List<IpPrefix>(rule.SourceAddresses.Count);
        foreach (var text in rule.SourceAddresses)
        {
            if (!IpPrefix.TryParse(text, out var prefix))
            {
                return null;
            }

            sources.Add(prefix);
        }

        return new FilterRule(rule.Id, kind, MeshIdentity.ForNode(rule.SourceNodeId), protocol, (ushort)rule.Port, (ushort)rule.Port, notAfter, sources);
    }
}
