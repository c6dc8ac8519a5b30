using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests;

public sealed class WatchTests
{
    private static AddGrantRequest Grant(string from, string to, uint port, TimeSpan duration) => new()
    {
        From = from,
        To = to,
        Port = port,
        Protocol = Protocol.Tcp,
        Duration = Duration.FromTimeSpan(duration),
    };

    [Fact]
    public async Task GrantExpiry_DeltaArrivesAtTheMomentOfExpiry()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        var grant = (await c.Admin.AddGrantAsync(Grant("a", "b", 5432, TimeSpan.FromMinutes(10)))).Grant;
        using var watch = await b.WatchAsync();
        var snap = await WatchReader.NextAsync(watch);
        Assert.Equal("a", Assert.Single(snap.Snapshot.Peers).Name);
        Assert.Equal(grant.ExpiresAt, snap.Snapshot.Peers[0].ValidUntil);

        c.Time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromMilliseconds(1));
        await Task.Delay(200);
        c.Time.Advance(TimeSpan.FromMilliseconds(1));
        var delta = await WatchReader.NextAsync(watch);
        Assert.Equal(WatchEvent.EventOneofCase.Delta, delta.EventCase);
        Assert.Equal(snap.Serial + 1, delta.Serial);
        Assert.Equal([a.Id], delta.Delta.PeersRemoved);
        Assert.Single(delta.Delta.RulesRemoved);

        var expired = (await c.Admin.ListAuditAsync(new ListAuditRequest())).Events.Single(e => e.Kind == "grant.expired");
        Assert.Equal(grant.ExpiresAt, expired.Time);
    }

    [Fact]
    public async Task Stop_EndsOpenWatchStreamsAtOnceWithUnavailable()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var watch = await a.WatchAsync();
        Assert.Equal(WatchEvent.EventOneofCase.Snapshot, (await WatchReader.NextAsync(watch)).EventCase);

        // Without the stream ending itself, the host would wait out its shutdown timeout (30 s) for it.
        var stopping = c.Host.App.StopAsync();
        var ended = await Assert.ThrowsAsync<RpcException>(() => WatchReader.NextAsync(watch, timeoutMs: 10_000));
        Assert.Equal(StatusCode.Unavailable, ended.StatusCode);
        Assert.Contains("shutting down", ended.Status.Detail, StringComparison.Ordinal);
        await stopping;
    }

    [Fact]
    public async Task Watch_ResumeFromSerial_SendsOnlyLaterDeltas()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        ulong serial;
        using (var first = await b.WatchAsync())
        {
            serial = (await WatchReader.NextAsync(first)).Serial;
        }

        // Both grants change b's inbound rules, so each is one delta for b.
        await c.Admin.AddGrantAsync(Grant("a", "b", 22, TimeSpan.FromHours(1)));
        await c.Admin.AddGrantAsync(Grant("a", "b", 80, TimeSpan.FromHours(2)));

        using var resumed = await b.WatchAsync(serial);
        var e1 = await WatchReader.NextAsync(resumed);
        var e2 = await WatchReader.NextAsync(resumed);
        Assert.Equal(WatchEvent.EventOneofCase.Delta, e1.EventCase);
        Assert.Equal(serial + 1, e1.Serial);
        Assert.Equal("a", Assert.Single(e1.Delta.PeersUpserted).Name);
        Assert.Equal(serial + 2, e2.Serial);
        Assert.Equal(WatchEvent.EventOneofCase.Delta, e2.EventCase);
        Assert.Equal(80u, Assert.Single(e2.Delta.RulesAdded).Port);

        await b.AckAsync(e2.Serial);
        var listed = (await c.Admin.ListNodesAsync(new ListNodesRequest())).Nodes.Single(n => n.Name == "b");
        Assert.Equal(e2.Serial, listed.AppliedSerial);
        Assert.True(listed.Online);
    }

    [Fact]
    public async Task RemoveNode_ClosesItsStreamAndDropsItFromPeers()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        await c.Admin.AddGrantAsync(Grant("a", "b", 22, TimeSpan.FromHours(1)));
        using var aWatch = await a.WatchAsync();
        using var bWatch = await b.WatchAsync();
        await WatchReader.NextAsync(aWatch);
        await WatchReader.NextAsync(bWatch);

        await c.Admin.RemoveNodeAsync(new RemoveNodeRequest { Name = "b" });
        var ex = await Record.ExceptionAsync(() => WatchReader.NextAsync(bWatch));
        var rpc = Assert.IsType<RpcException>(ex);
        Assert.Equal(StatusCode.Unauthenticated, rpc.StatusCode);
        var delta = await WatchReader.NextAsync(aWatch);
        Assert.Equal([b.Id], delta.Delta.PeersRemoved);
        // GetChallenge already refuses a removed node's key, so the retry fails before the stream opens.
        var again = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var retry = await b.WatchAsync();
            await WatchReader.NextAsync(retry);
        });
        Assert.Equal(StatusCode.Unauthenticated, again.StatusCode);
        Assert.Contains("removed or never enrolled", again.Status.Detail);
    }

    [Fact]
    public async Task RotateKey_PeersGetNewKey_AndRotatingNodeHearsWhenAllAcked()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        await c.Admin.AddGrantAsync(Grant("a", "b", 22, TimeSpan.FromHours(1)));
        using var aWatch = await a.WatchAsync();
        using var bWatch = await b.WatchAsync();
        await WatchReader.NextAsync(aWatch);
        await WatchReader.NextAsync(bWatch);

        var newKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        await a.RotateAsync(newKey);
        var bDelta = await WatchReader.NextAsync(bWatch);
        var peer = Assert.Single(bDelta.Delta.PeersUpserted);
        Assert.Equal(newKey, peer.WireguardPublicKey.ToByteArray());
        Assert.Equal(a.WireGuardKey, peer.PreviousWireguardPublicKey.ToByteArray());

        var self = await WatchReader.NextAsync(aWatch);
        Assert.Equal(newKey, self.Delta.Self.WireguardPublicKey.ToByteArray());
        await b.AckAsync(bDelta.Serial);
        var ready = await WatchReader.NextAsync(aWatch);
        Assert.Equal(WatchEvent.EventOneofCase.RotationReady, ready.EventCase);
        Assert.Equal(newKey, ready.RotationReady.NewWireguardPublicKey.ToByteArray());
    }

    [Fact]
    public async Task KeyPastExpiry_IsRemovedFromEveryNetmap_AndAdminRotateSendsRotateNow()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        await c.Admin.ApplyPolicyAsync(new PolicyRequest { Text = "rule ab: a -> b:22/tcp\n" });
        using var bWatch = await b.WatchAsync();
        Assert.Single((await WatchReader.NextAsync(bWatch)).Snapshot.Peers);

        using var aWatch = await a.WatchAsync();
        await WatchReader.NextAsync(aWatch);
        await c.Admin.RotateKeysAsync(new RotateKeysRequest { Node = "a" });
        Assert.Equal(WatchEvent.EventOneofCase.RotateNow, (await WatchReader.NextAsync(aWatch)).EventCase);

        // a never rotates: at its key expiry it leaves b's netmap.
        c.Time.Advance(TimeSpan.FromHours(1));
        var delta = await WatchReader.NextAsync(bWatch);
        Assert.Contains(a.Id, delta.Delta.PeersRemoved);
        Assert.Contains((await c.Admin.ListAuditAsync(new ListAuditRequest())).Events, e => e.Kind == "key.expired" && e.Subject == "a");
    }

    [Fact]
    public async Task KeyExpiry_AuditedBeforeARestart_IsNotAuditedAgainAfterIt()
    {
        string dataDir;
        await using (var first = await TestCoordinator.StartAsync())
        {
            dataDir = first.DataDir;
            first.KeepDataDir = true;
            using var a = await first.EnrollAsync("a");
            first.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
            await WaitForEventAsync(first, "key.expired");
        }

        // The restarted coordinator's clock starts before that expiry again: it reaches it once more, and must
        // know from the store that it was audited. A grant ending just after proves its scheduler ran.
        await using var second = await TestCoordinator.StartAsync(dataDir: dataDir);
        using var b = await second.EnrollAsync("b");
        await second.Admin.AddGrantAsync(Grant("b", "a", 22, TimeSpan.FromMinutes(61)));
        second.Time.Advance(TimeSpan.FromMinutes(62));
        await WaitForEventAsync(second, "grant.expired");

        var events = (await second.Admin.ListAuditAsync(new ListAuditRequest())).Events;
        Assert.Single(events, e => e.Kind == "key.expired" && e.Subject == "a");
    }

    private static async Task WaitForEventAsync(TestCoordinator c, string kind)
    {
        for (var i = 0; i < 100; i++)
        {
            if ((await c.Admin.ListAuditAsync(new ListAuditRequest())).Events.Any(e => e.Kind == kind))
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"no {kind} event within 5 s");
    }
}
