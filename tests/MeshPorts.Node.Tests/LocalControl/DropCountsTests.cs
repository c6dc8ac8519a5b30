using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
using MeshPorts.Node.Cli;
using MeshPorts.Node.Device;
using MeshPorts.Node.Filter;
using MeshPorts.Node.LocalControl.Status;
using MeshPorts.Node.Paths;
using MeshPorts.Node.Relay;
using MeshPorts.TestKit;
using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Tests.LocalControl;

[SupportedOSPlatform("linux")]
public sealed class DropCountsTests
{
    [Fact]
    public void StatusJson_ShowsEveryDropReasonWithItsCount()
    {
        var filter = new PacketFilter(TimeProvider.System, [IPAddress.Parse("100.64.0.1")]);
        var peer = WgKey.GeneratePrivate().PublicFromPrivate();
        Span<byte> tun = stackalloc byte[PacketFilter.ResetBufferSize];
        Span<byte> toPeer = stackalloc byte[PacketFilter.ResetBufferSize];
        filter.Inbound(peer, TestPackets.Udp("100.64.0.2", 5000, "172.31.255.1", 5432, [1]), tun, toPeer);
        filter.Inbound(peer, TestPackets.Udp("100.64.0.2", 5000, "192.168.1.10", 5432, [1]), tun, toPeer);
        filter.Inbound(peer, TestPackets.Udp("100.64.0.2", 5000, "100.64.0.1", 5432, [1]), tun, toPeer);
        var device = new DeviceCounters();
        device.Drop(DeviceDrop.SourceNotAllowed);

        // A handshake initiation from a key that is no peer of this engine (a forged key).
        var engine = new WireGuardEngine(TimeProvider.System);
        engine.SetPrivateKey(WgKey.GeneratePrivate());
        var stranger = new WireGuardEngine(TimeProvider.System);
        stranger.SetPrivateKey(WgKey.GeneratePrivate());
        var target = stranger.AddPeer(engine.PublicKey!.Value);
        Assert.True(PeerEndpoint.TryParse("192.0.2.1:51820", out var endpoint));
        target.Endpoint = endpoint;
        var sent = new Capture();
        Assert.True(stranger.InitiateHandshake(target, sent));
        var plaintext = new byte[2048];
        engine.ProcessInbound(sent.Datagrams.Single(), endpoint, plaintext, sent);

        var document = new NodeStatusDocument
        {
            Name = "db",
            Interface = "mp0",
            OverlayIp = "100.64.0.1",
            PublicKey = "PUBKEY=",
            Coordinator = new CoordinatorStatusDocument("https://coord:7443/", true, 1, null, null, 0),
            Exposed = [],
            Peers = [],
            Filter = new FilterStatusDocument(0, 0, 0, 3, 0),
            Drops = DropCounts.From(filter.Counters, device, engine.Counters),
        };

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(document, StatusJsonContext.Default.NodeStatusDocument));
        var drops = json.RootElement.GetProperty("drops");

        Assert.Equal(2, drops.GetProperty("notForThisNode").GetInt64());
        Assert.Equal(1, drops.GetProperty("notAllowed").GetInt64());
        Assert.Equal(1, drops.GetProperty("sourceNotAllowed").GetInt64());
        Assert.Equal(0, drops.GetProperty("expired").GetInt64());
        Assert.Equal(1, drops.GetProperty("unknownPeer").GetInt64());
        Assert.Equal(0, drops.GetProperty("replay").GetInt64());
        Assert.False(drops.TryGetProperty("none", out _));
        Assert.False(drops.TryGetProperty("filteredInbound", out _));
        Assert.Contains("drops: notAllowed 1, notForThisNode 2, sourceNotAllowed 1", LocalCommands.Format(document, DateTimeOffset.UnixEpoch), StringComparison.Ordinal);
    }

    [Fact]
    public void StatusJson_WithAPathStack_AddsTheRelayAndProbeDrops()
    {
        var relay = new RelayCounters();
        relay.Drop(RelayDrop.Replay);
        relay.Drop(RelayDrop.BadTag);
        relay.Drop(RelayDrop.BadTag);
        var probes = new ProbeCounters();
        probes.DropReplay();

        var drops = DropCounts.From(new FilterCounters(), new DeviceCounters(), new EngineCounters(), relay, probes);

        Assert.Equal(1, drops["relayReplay"]);
        Assert.Equal(2, drops["relayBadTag"]);
        Assert.Equal(0, drops["relayNoRelay"]);
        Assert.Equal(1, drops["probeReplay"]);
        Assert.Equal(0, drops["probeFlood"]);
        Assert.Equal(0, drops["replay"]);
        Assert.All(Enum.GetValues<RelayDrop>(), r => Assert.True(drops.ContainsKey("relay" + r), r.ToString()));
        Assert.False(DropCounts.From(new FilterCounters(), new DeviceCounters(), new EngineCounters()).ContainsKey("relayReplay"));
    }

    private sealed class Capture : IEngineOutput
    {
        public List<byte[]> Datagrams { get; } = [];

        public void SendDatagram(PeerEndpoint destination, ReadOnlySpan<byte> datagram) => Datagrams.Add(datagram.ToArray());
    }
}
