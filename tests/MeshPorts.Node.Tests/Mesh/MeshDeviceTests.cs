using System.Net;
using MeshPorts.Node.Device;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Routing;
using MeshPorts.Node.Tests.Filter;
using MeshPorts.TestKit;
using MeshPorts.WireGuard.Keys;
using Microsoft.Extensions.Time.Testing;
using static MeshPorts.Node.Tests.Mesh.MeshPair;

namespace MeshPorts.Node.Tests.Mesh;

public sealed class MeshDeviceTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 8, 0, 0, TimeSpan.Zero);

    private static byte[] Syn(ushort sourcePort, ushort port) => FilterPackets.Tcp(LaptopIp, sourcePort, DbIp, port, 1000, 0, FilterPackets.Syn);

    /// <summary>Opens laptop:sourcePort -> db:5432 through both filters: SYN, SYN-ACK, ACK.</summary>
    private static void Establish(MeshPair pair, ushort sourcePort)
    {
        pair.TunLaptop.Inject(Syn(sourcePort, 5432));
        var syn = TcpSegment.Parse(Take(pair.TunDb, "the laptop's SYN"));
        Assert.Equal(FilterPackets.Syn, syn.Flags);

        pair.TunDb.Inject(FilterPackets.Tcp(DbIp, 5432, LaptopIp, sourcePort, 5000, 1001, FilterPackets.Syn | FilterPackets.Ack));
        Assert.Equal(FilterPackets.Syn | FilterPackets.Ack, TcpSegment.Parse(Take(pair.TunLaptop, "db's SYN-ACK")).Flags);

        pair.TunLaptop.Inject(FilterPackets.Tcp(LaptopIp, sourcePort, DbIp, 5432, 1001, 5001, FilterPackets.Ack));
        Assert.Equal(FilterPackets.Ack, TcpSegment.Parse(Take(pair.TunDb, "the laptop's ACK")).Flags);
    }

    private static void AssertResetToDb(MeshPair pair, ushort laptopPort)
    {
        var reset = TcpSegment.Parse(Take(pair.TunDb, "the reset for db's application"));
        Assert.True(reset.IsReset, $"db's TUN got flags {reset.Flags:x2}, not a reset");
        Assert.Equal(IPAddress.Parse(LaptopIp), reset.Source);
        Assert.Equal(laptopPort, reset.SourcePort);
        Assert.Equal((ushort)5432, reset.DestinationPort);
        Assert.True(reset.IpChecksumValid && reset.TcpChecksumValid, "the reset to db has a bad checksum");
    }

    private static void AssertResetToLaptop(MeshPair pair, ushort laptopPort)
    {
        var reset = TcpSegment.Parse(Take(pair.TunLaptop, "the reset for the laptop"));
        Assert.True(reset.IsReset, $"the laptop's TUN got flags {reset.Flags:x2}, not a reset");
        Assert.Equal(IPAddress.Parse(DbIp), reset.Source);
        Assert.Equal((ushort)5432, reset.SourcePort);
        Assert.Equal(laptopPort, reset.DestinationPort);
        Assert.True(reset.IpChecksumValid && reset.TcpChecksumValid, "the reset to the laptop has a bad checksum");
    }

    [Fact]
    public void GrantedPort_SynReachesDb_AndTheReplyReachesTheLaptop()
    {
        using var pair = new MeshPair();
        pair.Connect(pair.Now.AddHours(1), GrantLaptop(5432, pair.Now.AddHours(1)));

        Establish(pair, 40000);

        Assert.Equal(0, pair.Db.Counters[DeviceDrop.FilteredInbound]);
        Assert.Equal(0, pair.Laptop.Counters[DeviceDrop.FilteredInbound]);
    }

    [Fact]
    public void PortWithoutGrant_IsFiltered_CountedAndRecordedAsDenied()
    {
        using var pair = new MeshPair();
        pair.Connect(pair.Now.AddHours(1), GrantLaptop(5432, pair.Now.AddHours(1)));

        pair.TunLaptop.Inject(Syn(40001, 22));
        pair.TunLaptop.Inject(Syn(40002, 5432));

        // One sender, one receive thread: the 5432 SYN arriving first means the port-22 SYN was judged and dropped.
        var first = TcpSegment.Parse(Take(pair.TunDb, "the SYN to the granted port"));
        Assert.Equal((ushort)5432, first.DestinationPort);
        Assert.Equal(1, pair.Db.Counters[DeviceDrop.FilteredInbound]);
        Assert.Equal(1, pair.DbFilter.Counters.Denied(FilterReason.NotAllowed));
        var denied = Assert.Single(pair.DbFilter.Denied.Drain());
        Assert.Equal(LaptopIdentity, denied.Peer);
        Assert.Equal((ushort)22, denied.Port);
        Assert.Equal((byte)6, denied.IpProtocol);
        Assert.Equal(IPAddress.Parse(LaptopIp), denied.Source);
        Assert.Equal(1, denied.Count);
    }

    [Fact]
    public void RulesReplacedWithoutTheGrant_CutTheOpenFlow_WithResetsAtBothEnds()
    {
        using var pair = new MeshPair();
        var grant = GrantLaptop(5432, pair.Now.AddHours(1));
        pair.Connect(pair.Now.AddHours(1), grant);
        Establish(pair, 40000);

        var result = pair.Db.ApplyMesh(new DeviceMeshConfig([pair.LaptopAsPeer(pair.Now.AddHours(1))], []));

        Assert.Equal(1, result.FlowsCut);
        Assert.Equal(0, result.Removed);
        AssertResetToDb(pair, 40000);
        AssertResetToLaptop(pair, 40000);

        // The laptop keeps talking on the cut flow: db's application never sees it.
        pair.TunLaptop.Inject(FilterPackets.Tcp(LaptopIp, 40000, DbIp, 5432, 1001, 5001, FilterPackets.Ack, payloadLength: 10));
        WaitUntil(
            () => pair.Db.Counters[DeviceDrop.FilteredInbound] + pair.Laptop.Counters[DeviceDrop.FilteredOutbound] >= 1,
            "a filter refusing data on the cut flow");
        Assert.Equal(0, pair.TunDb.DeliveredCount);
    }

    [Fact]
    public void PeerPastValidUntil_IsRemovedByTheDevicesOwnClock_AndItsFlowsAreReset()
    {
        var time = new FakeTimeProvider(Start);
        using var pair = new MeshPair(time);
        pair.Connect(Start.AddSeconds(60), GrantLaptop(5432, Start.AddHours(1)));
        Establish(pair, 40000);

        // No ApplyMesh from here on: the coordinator is gone, the node's clock alone ends the peer.
        time.Advance(TimeSpan.FromSeconds(61));

        WaitUntil(() => pair.Db.MeshPeers().Count == 0, "removal of the laptop after its ValidUntil");
        Assert.Empty(pair.Db.Engine.GetPeers());
        AssertResetToDb(pair, 40000);
        AssertResetToLaptop(pair, 40000);
    }

    [Fact]
    public void GrantPastNotAfter_CutsTheFlowOnTheDevicesClock_ButKeepsThePeer()
    {
        var time = new FakeTimeProvider(Start);
        using var pair = new MeshPair(time);
        pair.Connect(Start.AddHours(1), GrantLaptop(5432, Start.AddSeconds(30)));
        Establish(pair, 40000);

        time.Advance(TimeSpan.FromSeconds(31));

        AssertResetToDb(pair, 40000);
        AssertResetToLaptop(pair, 40000);
        Assert.Single(pair.Db.MeshPeers());
    }

    [Fact]
    public void PeerWithValidUntilInThePast_IsNeverInstalled()
    {
        using var pair = new MeshPair();

        var result = pair.Db.ApplyMesh(new DeviceMeshConfig([pair.LaptopAsPeer(pair.Now.AddSeconds(-1))], [GrantLaptop(5432, pair.Now.AddHours(1))]));

        Assert.Equal(0, result.Added);
        Assert.Empty(pair.Db.MeshPeers());
        Assert.Empty(pair.Db.Engine.GetPeers());
        pair.TunDb.Inject(TestPackets.IcmpEcho(DbIp, LaptopIp, 1, 1));
        WaitUntil(() => pair.Db.Counters[DeviceDrop.NoRoute] == 1, "db finding no route to the expired laptop");
    }

    [Fact]
    public void PeerLeftOutOfTheConfig_IsRemovedWithItsRoutes()
    {
        using var pair = new MeshPair();
        pair.Connect(pair.Now.AddHours(1), GrantLaptop(5432, pair.Now.AddHours(1)));
        Establish(pair, 40000);

        var result = pair.Db.ApplyMesh(new DeviceMeshConfig([], []));

        Assert.Equal(1, result.Removed);
        Assert.Empty(pair.Db.MeshPeers());
        Assert.Empty(pair.Db.Engine.GetPeers());
        AssertResetToDb(pair, 40000);
        pair.TunDb.Inject(TestPackets.IcmpEcho(DbIp, LaptopIp, 1, 1));
        WaitUntil(() => pair.Db.Counters[DeviceDrop.NoRoute] == 1, "db finding no route to the removed laptop");
    }

    [Fact]
    public void EchoRequest_FromPeerHoldingAnyRule_IsAnswered()
    {
        using var pair = new MeshPair();
        pair.Connect(pair.Now.AddHours(1), GrantLaptop(5432, pair.Now.AddHours(1)));
        var request = TestPackets.IcmpEcho(LaptopIp, DbIp, 9, 1);

        pair.TunLaptop.Inject(request);
        Assert.Equal(request, Take(pair.TunDb, "the echo request"));
        var reply = EchoPackets.Reply(request);
        pair.TunDb.Inject(reply);

        Assert.Equal(reply, Take(pair.TunLaptop, "the echo reply"));
    }

    [Fact]
    public void EchoRequest_FromPeerWithoutAnyRule_IsDropped()
    {
        using var pair = new MeshPair();
        pair.Connect(pair.Now.AddHours(1));

        pair.TunLaptop.Inject(TestPackets.IcmpEcho(LaptopIp, DbIp, 9, 1));

        WaitUntil(() => pair.Db.Counters[DeviceDrop.FilteredInbound] == 1, "db's filter refusing the echo request");
        Assert.Equal(0, pair.TunDb.DeliveredCount);
        Assert.Equal(1, pair.DbFilter.Counters.Denied(FilterReason.NotAllowed));
    }

    [Fact]
    public void MeshPeerKeyChange_KeepsThePeerReachableBothWays()
    {
        using var pair = new MeshPair();
        var grant = GrantLaptop(5432, pair.Now.AddHours(1));
        pair.Connect(pair.Now.AddHours(1), grant);
        Establish(pair, 40000);
        var newKey = WgKey.GeneratePrivate();

        pair.Laptop.RotatePrivateKey(newKey);
        pair.Db.ApplyMesh(new DeviceMeshConfig([pair.LaptopAsPeer(pair.Now.AddHours(1), newKey.PublicFromPrivate())], [grant]));

        pair.TunLaptop.Inject(Syn(40010, 5432));
        Assert.Equal((ushort)40010, TcpSegment.Parse(Take(pair.TunDb, "a SYN under the laptop's new key")).SourcePort);
        pair.TunDb.Inject(FilterPackets.Tcp(DbIp, 5432, LaptopIp, 40010, 7000, 1001, FilterPackets.Syn | FilterPackets.Ack));
        Assert.Equal((ushort)40010, TcpSegment.Parse(Take(pair.TunLaptop, "db's SYN-ACK to the new key")).DestinationPort);

        // The filter knows the laptop by its node id, so the flow opened under the old key is still admitted.
        pair.TunLaptop.Inject(FilterPackets.Tcp(LaptopIp, 40000, DbIp, 5432, 1001, 5001, FilterPackets.Ack, payloadLength: 5));
        var data = TcpSegment.Parse(Take(pair.TunDb, "data on the flow opened before the key change"));
        Assert.Equal((ushort)40000, data.SourcePort);
        Assert.False(data.IsReset);
    }

    [Fact]
    public void MeshPeerKeyChange_LeavesOnlyTheNewKeyConfigured()
    {
        using var pair = new MeshPair();
        pair.Connect(pair.Now.AddHours(1));
        var oldKey = pair.KeyLaptop.PublicFromPrivate();
        var newKey = WgKey.GeneratePrivate().PublicFromPrivate();

        pair.Db.ApplyMesh(new DeviceMeshConfig([pair.LaptopAsPeer(pair.Now.AddHours(1), newKey)], []));

        // The old key must not stay in the engine: it would still handshake, outlive ValidUntil and show in `wg show`.
        Assert.False(pair.Db.Engine.TryGetPeer(oldKey, out _), "the laptop's old key is still configured on db after its key changed");
        var peer = Assert.Single(pair.Db.Engine.GetPeers());
        Assert.Equal(newKey, peer.PublicKey);
        Assert.Equal(newKey, Assert.Single(pair.Db.MeshPeers()).PublicKey);
    }

    [Fact]
    public void MeshPeers_ReportNameAddressesAndValidUntil()
    {
        using var pair = new MeshPair();
        var until = pair.Now.AddMinutes(42);
        pair.Connect(until);

        var peer = Assert.Single(pair.Db.MeshPeers());

        Assert.Equal(LaptopId, peer.NodeId);
        Assert.Equal("laptop", peer.Name);
        Assert.Equal(pair.KeyLaptop.PublicFromPrivate(), peer.PublicKey);
        Assert.Equal([LaptopIp + "/32"], peer.AllowedIps.Select(p => p.ToString()));
        Assert.Equal("192.0.2.2:51821", peer.Endpoint.ToString());
        Assert.Equal(until, peer.ValidUntil);
    }

    [Fact]
    public void ApplyMesh_SameConfigTwice_ChangesNothingTheSecondTime()
    {
        using var pair = new MeshPair();
        var config = new DeviceMeshConfig([pair.LaptopAsPeer(pair.Now.AddHours(1))], [GrantLaptop(5432, pair.Now.AddHours(1))]);
        pair.Db.ApplyMesh(config);
        pair.Laptop.ApplyMesh(new DeviceMeshConfig([pair.DbAsPeer(pair.Now.AddHours(1))], []));
        Establish(pair, 40000);

        var again = pair.Db.ApplyMesh(config);

        Assert.Equal(new MeshApplyResult(0, 0, 0, 0), again);
        pair.TunLaptop.Inject(FilterPackets.Tcp(LaptopIp, 40000, DbIp, 5432, 1001, 5001, FilterPackets.Ack, payloadLength: 5));
        Assert.False(TcpSegment.Parse(Take(pair.TunDb, "data after a repeated ApplyMesh")).IsReset);
    }

    [Fact]
    public void ValidUntilExtendedByALaterApply_KeepsThePeerPastItsOldEnd()
    {
        var time = new FakeTimeProvider(Start);
        using var pair = new MeshPair(time);
        var ci = new MeshPeerConfig("node-ci", "ci", WgKey.GeneratePrivate().PublicFromPrivate(), [IpPrefix.Parse("100.64.0.3/32")], [], Start.AddSeconds(30));
        pair.Db.ApplyMesh(new DeviceMeshConfig([pair.LaptopAsPeer(Start.AddSeconds(60)), ci], []));

        pair.Db.ApplyMesh(new DeviceMeshConfig([pair.LaptopAsPeer(Start.AddHours(1)), ci], []));
        time.Advance(TimeSpan.FromSeconds(61));

        // ci ending shows the timer has judged every peer after the jump.
        WaitUntil(() => pair.Db.MeshPeers().All(p => p.NodeId != "node-ci"), "removal of ci after its ValidUntil");
        Assert.Equal([LaptopId], pair.Db.MeshPeers().Select(p => p.NodeId));
    }
}
