using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
using MeshPorts.Node.Cli;
using MeshPorts.Node.Daemon.Status;
using MeshPorts.Node.Device;
using MeshPorts.Node.Filter;
using MeshPorts.TestKit;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Tests.Daemon;

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
            Drops = DropCounts.From(filter.Counters, device),
        };

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(document, StatusJsonContext.Default.NodeStatusDocument));
        var drops = json.RootElement.GetProperty("drops");

        Assert.Equal(2, drops.GetProperty("notForThisNode").GetInt64());
        Assert.Equal(1, drops.GetProperty("notAllowed").GetInt64());
        Assert.Equal(1, drops.GetProperty("sourceNotAllowed").GetInt64());
        Assert.Equal(0, drops.GetProperty("expired").GetInt64());
        Assert.False(drops.TryGetProperty("none", out _));
        Assert.False(drops.TryGetProperty("filteredInbound", out _));
        Assert.Contains("drops: notAllowed 1, notForThisNode 2, sourceNotAllowed 1", LocalCommands.Format(document, DateTimeOffset.UnixEpoch), StringComparison.Ordinal);
    }
}
