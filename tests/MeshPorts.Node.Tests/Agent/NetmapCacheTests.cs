using Google.Protobuf;
using MeshPorts.Contracts.Node;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Tests.Agent;

/// <summary>Fail static across a restart: the last applied mesh state comes back before the coordinator does.</summary>
public sealed class NetmapCacheTests
{
    private static readonly WgKey LaptopKey = WatchEvents.Key(7);
    private static readonly WgKey CiKey = WatchEvents.Key(8);

    private static WatchEvent Snapshot(AgentHarness h, ulong serial, DateTimeOffset laptopUntil, DateTimeOffset ciUntil) => WatchEvents.Snapshot(
        serial,
        WatchEvents.Self("node-db", h.CurrentPublic, DateTimeOffset.UtcNow.AddHours(1)),
        [
            WatchEvents.Peer("node-laptop", LaptopKey, "100.64.0.2/32", laptopUntil, "192.0.2.2:51820"),
            WatchEvents.Peer("node-ci", CiKey, "100.64.0.3/32", ciUntil, "192.0.2.3:51820"),
        ],
        [WatchEvents.Grant("g1", "node-laptop", 5432, laptopUntil)]);

    [Fact]
    public async Task AppliedState_IsSavedAsASnapshotAtItsSerial()
    {
        await using var h = new AgentHarness();
        h.Start();
        var watch = await h.Link.NextWatchAsync("first connect");
        watch.Send(Snapshot(h, 9, DateTimeOffset.UtcNow.AddHours(1), DateTimeOffset.UtcNow.AddHours(1)));
        await h.Link.AckedAsync(9);

        Assert.NotNull(h.Store.Netmap);
        var saved = WatchEvent.Parser.ParseFrom(h.Store.Netmap);
        Assert.Equal(WatchEvent.EventOneofCase.Snapshot, saved.EventCase);
        Assert.Equal(9UL, saved.Serial);
        Assert.Equal(["node-ci", "node-laptop"], saved.Snapshot.Peers.Select(p => p.NodeId).Order(StringComparer.Ordinal));
        Assert.Equal("g1", Assert.Single(saved.Snapshot.InboundRules).Id);
    }

    [Fact]
    public async Task Restart_RestoresWhatIsStillValid_BeforeTheCoordinatorAnswers_ThenAsksForAFreshSnapshot()
    {
        await using var h = new AgentHarness();
        // ci's time ended while the node was down: it must not come back (fail closed).
        h.Store.Netmap = Snapshot(h, 9, DateTimeOffset.UtcNow.AddHours(1), DateTimeOffset.UtcNow.AddSeconds(-5)).ToByteArray();
        h.Start();

        var watch = await h.Link.NextWatchAsync("first connect");
        Assert.Equal(0UL, watch.ResumeFrom);
        var peer = Assert.Single(h.Device.MeshPeers());
        Assert.Equal("node-laptop", peer.NodeId);
        Assert.Equal("g1", Assert.Single(h.Filter.Rules).Id);
    }

    [Fact]
    public async Task DamagedCache_IsIgnored()
    {
        await using var h = new AgentHarness();
        h.Store.Netmap = [1, 2, 3, 250, 251];
        h.Start();

        var watch = await h.Link.NextWatchAsync("first connect");
        Assert.Equal(0UL, watch.ResumeFrom);
        Assert.Empty(h.Device.MeshPeers());
    }
}
