using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Agent;

namespace MeshPorts.Fuzz.Targets;

/// <summary>
/// The coordinator's Watch stream as the node applies it: one WatchEvent (protobuf) into the node's
/// MeshView, then the device configuration and path peers made from it. A delta is applied on top of a
/// snapshot of one peer and one rule at the serial before it, so it has something to change.
/// </summary>
internal static class WatchEvents
{
    public static FuzzTarget Target { get; } = new(
        "watch",
        "the coordinator: Watch events (WatchEvent: Snapshot, Delta) applied by the node (node Agent MeshView)",
        Run,
        Seeds);

    private static void Run(ReadOnlySpan<byte> data)
    {
        WatchEvent watchEvent;
        try
        {
            watchEvent = WatchEvent.Parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException)
        {
            return; // gRPC ends the call; the node watches again.
        }

        var view = new MeshView();
        if (watchEvent.EventCase == WatchEvent.EventOneofCase.Delta && watchEvent.Serial > 0)
        {
            view.Apply(Base(watchEvent.Serial - 1));
        }

        view.Apply(watchEvent);
        view.ToDeviceConfig();
        view.ToPathPeers();
        view.ToSnapshotEvent();
    }

    private static WatchEvent Base(ulong serial) => new()
    {
        Serial = serial,
        Snapshot = new Snapshot { Self = Self(), Peers = { Peer("n2", 2) }, InboundRules = { Rule("r1", "n2") } },
    };

    private static SelfInfo Self() => new()
    {
        NodeId = "n1",
        Name = "laptop",
        User = "alice",
        Tags = { "tag:dev" },
        OverlayIpv4 = "100.64.0.1",
        OverlayIpv6 = "fd7a:115c:a1e0::1",
        WireguardPublicKey = ByteString.CopyFrom(new byte[32]),
        KeyExpiresAt = Timestamp.FromDateTimeOffset(FixedTime.Now.AddHours(1)),
        DnsSuffix = "mesh",
    };

    private static Peer Peer(string id, byte key) => new()
    {
        NodeId = id,
        Name = "db-" + id,
        User = "bob",
        Tags = { "tag:db" },
        WireguardPublicKey = ByteString.CopyFrom([.. Enumerable.Repeat(key, 32)]),
        AllowedIps = { "100.64.0." + key + "/32", "fd7a:115c:a1e0::" + key + "/128" },
        Endpoints = { "192.0.2." + key + ":51820", "[2001:db8::" + key + "]:51820" },
        ValidUntil = Timestamp.FromDateTimeOffset(FixedTime.Now.AddHours(1)),
        HomeRelay = "relay-1",
    };

    private static InboundRule Rule(string id, string source) => new()
    {
        Id = id,
        SourceNodeId = source,
        SourceName = "db-" + source,
        SourceAddresses = { "100.64.0.2/32" },
        Port = 22,
        Protocol = Protocol.Tcp,
        NotAfter = Timestamp.FromDateTimeOffset(FixedTime.Now.AddHours(1)),
        AllowedBy = "rule:ssh",
        Kind = RuleKind.Policy,
    };

    private static IEnumerable<(string, byte[])> Seeds()
    {
        yield return ("snapshot", Base(5).ToByteArray());
        var delta = new WatchEvent
        {
            Serial = 6,
            Delta = new Delta
            {
                Self = Self(),
                PeersUpserted = { Peer("n3", 3) },
                PeersRemoved = { "n2" },
                RulesAdded = { Rule("r2", "n3") },
                RulesRemoved = { "r1" },
            },
        };
        yield return ("delta", delta.ToByteArray());
        var bad = Peer("n4", 4);
        bad.WireguardPublicKey = ByteString.CopyFrom([1, 2, 3]);
        bad.AllowedIps.Add("300.1.1.1/40");
        bad.PreviousWireguardPublicKey = ByteString.CopyFrom(new byte[31]);
        var badRule = Rule("r3", "n4");
        badRule.Port = 70000;
        badRule.Kind = RuleKind.Grant;
        badRule.NotAfter = null;
        yield return ("delta-malformed", new WatchEvent { Serial = 2, Delta = new Delta { PeersUpserted = { bad }, RulesAdded = { badRule } } }.ToByteArray());
        yield return ("heartbeat", new WatchEvent { Serial = 1, Heartbeat = new Heartbeat { ServerTime = Timestamp.FromDateTimeOffset(FixedTime.Now) } }.ToByteArray());
    }
}
