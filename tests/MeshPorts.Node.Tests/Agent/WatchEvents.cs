using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using MeshPorts.Contracts.Node;
using MeshPorts.WireGuard.Keys;
using ProtoPeer = MeshPorts.Contracts.Node.Peer;

namespace MeshPorts.Node.Tests.Agent;

/// <summary>Builds the coordinator's Watch messages the way node.proto describes them.</summary>
internal static class WatchEvents
{
    public static WatchEvent Snapshot(ulong serial, SelfInfo? self, IEnumerable<ProtoPeer>? peers = null, IEnumerable<InboundRule>? rules = null)
    {
        var snapshot = new Snapshot { Self = self };
        snapshot.Peers.AddRange(peers ?? []);
        snapshot.InboundRules.AddRange(rules ?? []);
        return new WatchEvent { Serial = serial, Snapshot = snapshot };
    }

    public static WatchEvent Delta(
        ulong serial,
        IEnumerable<ProtoPeer>? upserted = null,
        IEnumerable<string>? peersRemoved = null,
        IEnumerable<InboundRule>? rulesAdded = null,
        IEnumerable<string>? rulesRemoved = null,
        SelfInfo? self = null)
    {
        var delta = new Delta { Self = self };
        delta.PeersUpserted.AddRange(upserted ?? []);
        delta.PeersRemoved.AddRange(peersRemoved ?? []);
        delta.RulesAdded.AddRange(rulesAdded ?? []);
        delta.RulesRemoved.AddRange(rulesRemoved ?? []);
        return new WatchEvent { Serial = serial, Delta = delta };
    }

    public static WatchEvent Heartbeat(ulong serial) =>
        new() { Serial = serial, Heartbeat = new Heartbeat { ServerTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) } };

    public static WatchEvent RotateNow(ulong serial) => new() { Serial = serial, RotateNow = new RotateNow { Reason = "admin request" } };

    public static WatchEvent RotationReady(ulong serial, WgKey newPublicKey) =>
        new() { Serial = serial, RotationReady = new RotationReady { NewWireguardPublicKey = ByteString.CopyFrom(newPublicKey.AsSpan()) } };

    public static SelfInfo Self(string nodeId, WgKey publicKey, DateTimeOffset? keyExpiresAt = null) => new()
    {
        NodeId = nodeId,
        Name = nodeId,
        OverlayIpv4 = "100.64.0.1",
        WireguardPublicKey = ByteString.CopyFrom(publicKey.AsSpan()),
        KeyExpiresAt = keyExpiresAt is { } at ? Timestamp.FromDateTimeOffset(at) : null,
    };

    public static ProtoPeer Peer(string nodeId, WgKey publicKey, string allowedIp, DateTimeOffset validUntil, params string[] endpoints)
    {
        var peer = new ProtoPeer
        {
            NodeId = nodeId,
            Name = nodeId + "-name",
            WireguardPublicKey = ByteString.CopyFrom(publicKey.AsSpan()),
            ValidUntil = Timestamp.FromDateTimeOffset(validUntil),
        };
        peer.AllowedIps.Add(allowedIp);
        peer.Endpoints.AddRange(endpoints);
        return peer;
    }

    public static InboundRule Grant(string id, string sourceNodeId, uint port, DateTimeOffset? notAfter, Protocol protocol = Protocol.Tcp) => new()
    {
        Id = id,
        SourceNodeId = sourceNodeId,
        SourceName = sourceNodeId + "-name",
        Port = port,
        Protocol = protocol,
        NotAfter = notAfter is { } end ? Timestamp.FromDateTimeOffset(end) : null,
        AllowedBy = "grant:" + id,
        Kind = RuleKind.Grant,
    };

    public static InboundRule Rule(string id, string sourceNodeId, uint port, Protocol protocol = Protocol.Tcp) => new()
    {
        Id = id,
        SourceNodeId = sourceNodeId,
        SourceName = sourceNodeId + "-name",
        Port = port,
        Protocol = protocol,
        AllowedBy = "rule:" + id,
        Kind = RuleKind.Policy,
    };

    /// <summary>A deterministic public key for peers that never handshake.</summary>
    public static WgKey Key(byte id)
    {
        var bytes = new byte[WgKey.Size];
        bytes[0] = id;
        bytes[31] = (byte)(id ^ 0x5A);
        return WgKey.FromBytes(bytes);
    }
}
