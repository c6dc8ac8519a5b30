using MeshPorts.Node.Device;
using MeshPorts.Node.Packets;
using MeshPorts.Node.Uapi;
using MeshPorts.TestKit;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Tests.Device;

public sealed class DeviceTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact]
    public void Ping_FromAToB_ArrivesAfterHandshake_AndReplyComesBack()
    {
        using var pair = new DevicePair();
        var echo = TestPackets.IcmpEcho("10.0.0.1", "10.0.0.2", 7, 1);
        pair.TunA.Inject(echo);

        var delivered = pair.TunB.TakeDelivered(Wait);
        Assert.NotNull(delivered);
        Assert.Equal(echo, delivered);

        var reply = TestPackets.IcmpEcho("10.0.0.2", "10.0.0.1", 7, 1);
        pair.TunB.Inject(reply);
        Assert.Equal(reply, pair.TunA.TakeDelivered(Wait));
        Assert.True(pair.A.Engine.TryGetPeer(pair.KeyB.PublicFromPrivate(), out var peerB));
        Assert.NotNull(peerB.LastHandshake);
        Assert.True(peerB.TxBytes > 0 && peerB.RxBytes > 0);
    }

    [Fact]
    public void ManyPackets_BothFamilies_ArriveInOrder()
    {
        using var pair = new DevicePair();
        // Complete the handshake first: packets staged before it are bounded (oldest dropped).
        pair.TunA.Inject(TestPackets.IcmpEcho("10.0.0.1", "10.0.0.2", 1, 1));
        Assert.NotNull(pair.TunB.TakeDelivered(Wait));
        var sent = new List<byte[]>();
        for (ushort i = 0; i < 500; i++)
        {
            var packet = i % 2 == 0
                ? TestPackets.Udp("10.0.0.1", 1000, "10.0.0.2", 2000, BitConverter.GetBytes((int)i))
                : TestPackets.Udp("fd00::1", 1000, "fd00::2", 2000, BitConverter.GetBytes((int)i));
            sent.Add(packet);
            pair.TunA.Inject(packet);
        }

        foreach (var expected in sent)
        {
            Assert.Equal(expected, pair.TunB.TakeDelivered(Wait));
        }
    }

    [Fact]
    public void Packet_ToAddressOutsideAllowedIps_IsDroppedAsNoRoute()
    {
        using var pair = new DevicePair();
        pair.TunA.Inject(TestPackets.IcmpEcho("10.0.0.1", "10.9.9.9", 1, 1));
        pair.TunA.Inject(TestPackets.IcmpEcho("10.0.0.1", "10.0.0.2", 1, 2));
        Assert.NotNull(pair.TunB.TakeDelivered(Wait));
        Assert.Equal(1, pair.A.Counters[DeviceDrop.NoRoute]);
        Assert.Null(pair.TunB.TakeDelivered(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public void DecryptedPacket_WithSpoofedSource_IsDropped()
    {
        using var pair = new DevicePair();
        // A sends a packet claiming a source B has not allowed for A: B must drop it after decrypting.
        var echo = TestPackets.IcmpEcho("10.0.0.1", "10.0.0.2", 7, 1);
        pair.TunA.Inject(echo);
        Assert.NotNull(pair.TunB.TakeDelivered(Wait));

        pair.TunA.Inject(TestPackets.IcmpEcho("10.0.0.66", "10.0.0.2", 7, 2));
        Assert.Null(pair.TunB.TakeDelivered(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(1, pair.B.Counters[DeviceDrop.SourceNotAllowed]);
    }

    [Fact]
    public void Responder_WithoutEndpoint_LearnsItFromTheHandshake_AndCanReply()
    {
        // B knows A's endpoint, A does not know B's: B initiates, A roams to B's address.
        using var pair2 = new DevicePair(withEndpointOnB: false);
        pair2.TunB.Inject(TestPackets.IcmpEcho("10.0.0.2", "10.0.0.1", 3, 1));
        Assert.NotNull(pair2.TunA.TakeDelivered(Wait));
        pair2.TunA.Inject(TestPackets.IcmpEcho("10.0.0.1", "10.0.0.2", 3, 1));
        Assert.NotNull(pair2.TunB.TakeDelivered(Wait));
        var snapshot = pair2.A.Snapshot();
        Assert.Equal("192.0.2.2:51821", snapshot.Peers.Single().Endpoint.ToString());
    }

    [Fact]
    public void Snapshot_ReportsWhatApplySet()
    {
        using var pair = new DevicePair();
        var snapshot = pair.A.Snapshot();
        Assert.Equal(pair.KeyA, snapshot.PrivateKey);
        Assert.Equal(51820, snapshot.ListenPort);
        var peer = Assert.Single(snapshot.Peers);
        Assert.Equal(pair.KeyB.PublicFromPrivate(), peer.PublicKey);
        Assert.Equal(["10.0.0.2/32", "fd00::2/128"], peer.AllowedIps.Select(p => p.ToString()).Order());
    }

    [Fact]
    public void ListenPortChange_RebindsAndPeersRoamToTheNewPort()
    {
        using var pair = new DevicePair();
        pair.TunA.Inject(TestPackets.IcmpEcho("10.0.0.1", "10.0.0.2", 9, 1));
        Assert.NotNull(pair.TunB.TakeDelivered(Wait));

        Assert.Equal(0, pair.A.Apply(new UapiSetRequest { ListenPort = 40999 }));
        Assert.Equal(40999, pair.A.ListenPort);
        pair.TunA.Inject(TestPackets.IcmpEcho("10.0.0.1", "10.0.0.2", 9, 2));
        Assert.NotNull(pair.TunB.TakeDelivered(Wait));
        Assert.Equal("192.0.2.1:40999", pair.B.Snapshot().Peers.Single().Endpoint.ToString());
    }

    [Fact]
    public void ListenPortInUse_IsRefusedWithEaddrinuse_AndNothingChanges()
    {
        using var pair = new DevicePair();
        using var squatter = pair.Network.Host("192.0.2.1").Bind(41000);
        var request = new UapiSetRequest { ListenPort = 41000, ReplacePeers = true };
        Assert.Equal(UapiErrno.AddressInUse, pair.A.Apply(request));
        Assert.Equal(51820, pair.A.ListenPort);
        Assert.Single(pair.A.Snapshot().Peers);
    }

    [Fact]
    public void RemovedPeer_TakesItsRoutesWithIt()
    {
        using var pair = new DevicePair();
        var remove = new UapiSetRequest();
        remove.Peers.Add(new UapiPeerUpdate(pair.KeyB.PublicFromPrivate()) { Remove = true });
        Assert.Equal(0, pair.A.Apply(remove));
        Assert.Empty(pair.A.Snapshot().Peers);
        pair.TunA.Inject(TestPackets.IcmpEcho("10.0.0.1", "10.0.0.2", 1, 1));
        Assert.Null(pair.TunB.TakeDelivered(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(1, pair.A.Counters[DeviceDrop.NoRoute]);
    }

    [Fact]
    public void GarbageDatagrams_AreDroppedAndCounted_AndTheTunnelStillWorks()
    {
        using var pair = new DevicePair();
        var random = new Random(1234);
        using var attacker = pair.Network.Host("203.0.113.9").Bind(0);
        Assert.True(PeerEndpoint.TryParse("192.0.2.2:51821", out var target));
        for (var i = 0; i < 2000; i++)
        {
            var junk = new byte[random.Next(0, 300)];
            random.NextBytes(junk);
            if (junk.Length > 0)
            {
                junk[0] = (byte)random.Next(0, 6);
            }

            attacker.Send(junk, target);
        }

        // About a sixth of the junk claims to be an initiation, enough to put B under load: A's first
        // initiation may be answered with a cookie, and A retries with mac2 after the 5 s rekey timeout.
        pair.TunA.Inject(TestPackets.IcmpEcho("10.0.0.1", "10.0.0.2", 5, 1));
        Assert.NotNull(pair.TunB.TakeDelivered(TimeSpan.FromSeconds(15)));
        // Junk that is no WireGuard message (bad reserved bytes, unknown types) is counted by the device's
        // demux before the engine sees it; the rest by the engine.
        var drops = pair.B.Engine.Counters.TotalDrops + pair.B.Counters[DeviceDrop.UnrecognizedDatagram];
        Assert.True(drops >= 1900, $"only {drops} drops counted");
    }

    [Theory]
    [InlineData(new byte[] { 0x45, 0, 0, 20 }, -1)]
    [InlineData(new byte[] { 0x60 }, -1)]
    [InlineData(new byte[] { }, -1)]
    public void IpPacket_DeclaredLength_RejectsTruncatedHeaders(byte[] packet, int expected)
    {
        Assert.Equal(expected, IpHeader.DeclaredLength(packet));
    }
}
