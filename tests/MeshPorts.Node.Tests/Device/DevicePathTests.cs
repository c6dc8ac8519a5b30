using System.Buffers.Binary;
using MeshPorts.Node.Device;
using MeshPorts.Node.LocalControl.Status;
using MeshPorts.Node.Tests.Mesh;
using MeshPorts.Node.Uapi;
using MeshPorts.TestKit;
using MeshPorts.WireGuard.Net;
using static MeshPorts.Node.Tests.Mesh.MeshPair;

namespace MeshPorts.Node.Tests.Device;

public sealed class DevicePathTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private static byte[] StunSuccess()
    {
        var message = new byte[20];
        message[0] = 0x01;
        message[1] = 0x01;
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), 0x2112A442);
        message[8] = 0x5A;
        return message;
    }

    private static void SendTo(MemoryNetwork network, string from, string to, params byte[][] datagrams)
    {
        var source = FakeRelayLink.Parse(from);
        using var sender = network.Host(source.ToIPEndPoint().Address.ToString()).Bind(source.Port);
        foreach (var datagram in datagrams)
        {
            sender.Send(datagram, FakeRelayLink.Parse(to));
        }
    }

    [Fact]
    public void EachKindOfDatagram_ReachesItsSink()
    {
        using var pair = new PathPair();
        var probes = new FakeProbeSink();
        var stun = new FakeStunSink(accept: true);
        pair.Db.ProbeSink = probes;
        pair.Db.StunSink = stun;
        byte[] probe = [0xF1, (byte)'M', (byte)'P', 1, 9, 9];
        byte[] frame = [0xF2, (byte)'M', (byte)'R', 1, 7];

        SendTo(pair.Network, "203.0.113.9:4000", PathPair.DbAddress, probe, StunSuccess());
        SendTo(pair.Network, FakeRelayLink.RelayAddress.ToString(), PathPair.DbAddress, frame);

        WaitUntil(() => probes.Taken.Count == 1 && stun.Taken.Count == 1 && pair.DbRelay.Frames.Count == 1, "every sink got its datagram");
        Assert.True(probes.Taken.TryPeek(out var taken));
        Assert.Equal(probe, taken.Datagram);
        Assert.Equal("203.0.113.9:4000", taken.Source.ToString());
        Assert.Equal(StunSuccess(), stun.Taken.Single().Datagram);
        Assert.Equal(frame, pair.DbRelay.Frames.Single());
        Assert.Equal(0, pair.Db.Counters.TotalDrops);
    }

    [Fact]
    public void Garbage_Truncated_ForeignFrames_AndSpoofedVirtualSources_AreDroppedAndCounted_AndTheTunnelStillWorks()
    {
        using var pair = new PathPair();
        var stun = new FakeStunSink(accept: false);
        pair.Db.StunSink = stun;
        var junk = new List<byte[]> { Array.Empty<byte>(), new byte[] { 1 }, new byte[] { 1, 0, 0 }, new byte[] { 4, 0, 0, 1, 5 }, new byte[] { 0x05, 0, 0, 0 }, new byte[] { 0x01, 0x01, 0, 0, 0x21, 0x12, 0xA4 }, new byte[] { 0xFF, 1, 2 } };
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var bytes = new byte[random.Next(1, 200)];
            random.NextBytes(bytes);
            bytes[0] = (byte)random.Next(5, 0xF1);
            if ((bytes[0] & 0xC0) == 0 && bytes.Length >= 8)
            {
                bytes[4] = 0;
            }

            junk.Add(bytes);
        }

        SendTo(pair.Network, "203.0.113.9:4000", PathPair.DbAddress, [.. junk]);
        SendTo(pair.Network, "203.0.113.9:4001", PathPair.DbAddress, [0xF2, (byte)'M', (byte)'R', 1], [0xF2], StunSuccess());
        SendTo(pair.Network, "[100::1:7]:1", PathPair.DbAddress, [0xF1, 1, 2, 3], [4, 0, 0, 0, 1, 2, 3, 4]);

        WaitUntil(() => pair.Db.Counters[DeviceDrop.UnrecognizedDatagram] == junk.Count, "the junk was counted");
        WaitUntil(() => pair.Db.Counters[DeviceDrop.RelayFrameNotFromRelay] == 2 && pair.Db.Counters[DeviceDrop.StunNotHandled] == 1 && pair.Db.Counters[DeviceDrop.VirtualSourceOnSocket] == 2, "foreign frames, stray STUN and virtual sources were counted");
        Assert.Empty(pair.DbRelay.Frames);
        Assert.Equal(0, pair.Db.Engine.Counters.TotalDrops);

        pair.Connect();
        Assert.True(pair.Db.UseRelay(LaptopId));
        Assert.True(pair.Laptop.UseRelay(DbId));
        pair.TunLaptop.Inject(PathPair.Syn(40000, 5432));
        Assert.NotNull(pair.TunDb.TakeDelivered(Wait));
    }

    [Fact]
    public void WithoutSinks_ProbesFramesAndStun_AreDroppedAndCounted()
    {
        using var network = new PathPairWithoutSinks();
        SendTo(network.Network, "203.0.113.9:4000", "192.0.2.1:51820", [0xF1, 1], [0xF2, 1], StunSuccess());
        WaitUntil(
            () => network.Device.Counters[DeviceDrop.ProbeNotHandled] == 1 && network.Device.Counters[DeviceDrop.RelayFrameNotFromRelay] == 1 && network.Device.Counters[DeviceDrop.StunNotHandled] == 1,
            "each kind was counted");
    }

    [Fact]
    public void RelayedPeers_TalkOnlyThroughTheRelay_WithTheirVirtualSource_AndStatusSaysSo()
    {
        using var pair = new PathPair();
        var onSocket = 0;
        pair.Network.Filter = (_, _, _) =>
        {
            Interlocked.Increment(ref onSocket);
            return true;
        };
        pair.Connect();
        Assert.True(pair.Db.UseRelay(LaptopId));
        Assert.True(pair.Laptop.UseRelay(DbId));

        pair.TunLaptop.Inject(PathPair.Syn(40000, 5432));
        Assert.Equal((ushort)5432, Filter.TcpSegment.Parse(Take(pair.TunDb, "the relayed SYN")).DestinationPort);
        pair.TunDb.Inject(Filter.FilterPackets.Tcp(DbIp, 5432, LaptopIp, 40000, 5000, 1001, Filter.FilterPackets.Syn | Filter.FilterPackets.Ack));
        Assert.NotNull(Take(pair.TunLaptop, "the relayed SYN-ACK"));

        Assert.Equal(0, Volatile.Read(ref onSocket));
        Assert.All(pair.LaptopRelay.Sent, s => Assert.Equal(DbId, s.Peer));
        Assert.All(pair.DbRelay.Sent, s => Assert.Equal(LaptopId, s.Peer));
        var endpoint = pair.EndpointOnDb();
        Assert.True(RelayEndpoints.IsVirtual(endpoint));
        Assert.Equal(RelayEndpoints.Port, endpoint.Port);

        var laptop = pair.Db.MeshPeers().Single();
        Assert.Equal("relay", laptop.Path.Path);
        Assert.Equal("relay-1", laptop.Path.RelayId);
        Assert.Equal("udp", laptop.Path.Transport);
        Assert.Equal(pair.DbRelay.Sent.Sum(s => (long)s.Datagram.Length), laptop.RelayedTxBytes);
        Assert.True(laptop.RelayedRxBytes > 0);
        var document = PeerStatusDocument.From(laptop);
        Assert.Equal("relay", document.Path);
        Assert.Equal(FakeRelayLink.RelayAddress.ToString(), document.Endpoint);
        Assert.Equal("relay-1", document.RelayId);
        Assert.Equal("udp", document.Transport);
    }

    [Fact]
    public void RelayedPacket_WithoutAGrant_IsStillFiltered()
    {
        using var pair = new PathPair();
        pair.Connect();
        pair.Db.UseRelay(LaptopId);
        pair.Laptop.UseRelay(DbId);

        pair.TunLaptop.Inject(PathPair.Syn(40001, 22));
        pair.TunLaptop.Inject(PathPair.Syn(40002, 5432));

        Assert.Equal((ushort)5432, Filter.TcpSegment.Parse(Take(pair.TunDb, "the granted SYN")).DestinationPort);
        Assert.Equal(1, pair.Db.Counters[DeviceDrop.FilteredInbound]);
        Assert.Null(pair.TunDb.TakeDelivered(Quiet));
    }

    [Fact]
    public void RelayedDatagrams_FromNonPeersOrOfOtherKinds_AreDroppedAndCounted()
    {
        using var pair = new PathPair();
        pair.Connect();
        pair.Db.ReceiveRelayed("node-stranger", "relay-1", [4, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32]);
        pair.Db.ReceiveRelayed(LaptopId, "relay-1", [0xF1, 1, 2]);
        pair.Db.ReceiveRelayed(LaptopId, "relay-1", []);

        Assert.Equal(1, pair.Db.Counters[DeviceDrop.RelayedFromNonPeer]);
        Assert.Equal(2, pair.Db.Counters[DeviceDrop.UnrecognizedDatagram]);
    }

    [Fact]
    public void RelaySendRefused_IsCounted_AndNothingGoesToTheSocket()
    {
        using var pair = new PathPair();
        var onSocket = 0;
        pair.Network.Filter = (_, _, _) =>
        {
            Interlocked.Increment(ref onSocket);
            return true;
        };
        pair.LaptopRelay.Accept = false;
        pair.Connect();
        Assert.True(pair.Laptop.UseRelay(DbId));

        WaitUntil(() => pair.Laptop.Counters[DeviceDrop.RelaySendFailed] >= 1, "the refused initiation was counted");
        Assert.Equal(0, Volatile.Read(ref onSocket));
        Assert.False(pair.Laptop.SendUnderlay([1, 2, 3], pair.Laptop.MeshPeers().Single().Endpoint));
        Assert.Equal(0, Volatile.Read(ref onSocket));
    }

    [Fact]
    public void PathManaged_NewPeerHasNoEndpoint_AndCandidateChangesLeaveTheOneInUse()
    {
        using var pair = new PathPair();
        pair.Connect();
        Assert.False(pair.EndpointOnDb().IsSet);
        Assert.Equal("none", pair.Db.MeshPeers().Single().Path.Path);

        Assert.True(pair.Db.UseDirect(LaptopId, FakeRelayLink.Parse(PathPair.LaptopAddress)));
        pair.Db.ApplyMesh(new DeviceMeshConfig([pair.LaptopAsPeer("192.0.2.99:1000", "192.0.2.98:1000")], [GrantLaptop(5432, PathPair.Later)]));
        Assert.Equal(PathPair.LaptopAddress, pair.EndpointOnDb().ToString());
        var status = pair.Db.MeshPeers().Single();
        Assert.Equal("direct", status.Path.Path);
        Assert.Equal(PathPair.LaptopAddress, PeerStatusDocument.From(status).Endpoint);

        Assert.False(pair.Db.UseDirect("node-stranger", FakeRelayLink.Parse(PathPair.LaptopAddress)));
        Assert.False(pair.Db.UseRelay("node-stranger"));
        Assert.False(pair.Db.UseDirect(LaptopId, RelayEndpoints.ForSlot(1)));
        Assert.False(pair.Db.UseDirect(LaptopId, default));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AuthenticatedPacketFromANewAddress_MovesTheEndpointOnlyWithoutPathManagement(bool pathManaged)
    {
        using var pair = new PathPair(pathManaged);
        pair.Connect();
        if (pathManaged)
        {
            pair.Db.UseDirect(LaptopId, FakeRelayLink.Parse(PathPair.LaptopAddress));
            pair.Laptop.UseDirect(DbId, FakeRelayLink.Parse(PathPair.DbAddress));
        }

        pair.TunLaptop.Inject(PathPair.Syn(40000, 5432));
        Assert.NotNull(Take(pair.TunDb, "the first SYN"));
        Assert.Equal(PathPair.LaptopAddress, pair.EndpointOnDb().ToString());

        // The laptop's socket moves (a NAT rebinding looks the same); its next packet comes from the new port.
        Assert.Equal(0, pair.Laptop.Apply(new UapiSetRequest { ListenPort = 40999 }));
        pair.TunLaptop.Inject(PathPair.Syn(40001, 5432));
        Assert.NotNull(Take(pair.TunDb, "the SYN from the new port"));
        Assert.Equal(pathManaged ? PathPair.LaptopAddress : "192.0.2.2:40999", pair.EndpointOnDb().ToString());
    }

    [Fact]
    public void SwitchingBetweenRelayAndDirect_MidFlow_LosesNoPacket()
    {
        using var pair = new PathPair();
        pair.Connect();
        pair.Db.UseRelay(LaptopId);
        pair.Laptop.UseRelay(DbId);
        pair.TunLaptop.Inject(PathPair.Syn(39999, 5432));
        Assert.NotNull(Take(pair.TunDb, "the first SYN"));

        // Rounds of packets, each switch made while the previous round may still be going out; the last
        // round is injected after a switch to direct, so some surely go each way.
        const int Rounds = 6, PerRound = 50, Count = Rounds * PerRound;
        for (var round = 0; round < Rounds; round++)
        {
            if (round > 0)
            {
                Assert.True(round % 2 == 1
                    ? pair.Laptop.UseDirect(DbId, FakeRelayLink.Parse(PathPair.DbAddress))
                    : pair.Laptop.UseRelay(DbId));
            }

            for (var i = 0; i < PerRound; i++)
            {
                pair.TunLaptop.Inject(PathPair.Syn((ushort)(41000 + (round * PerRound) + i), 5432));
            }
        }

        var ports = new HashSet<ushort>();
        for (var i = 0; i < Count; i++)
        {
            ports.Add(Filter.TcpSegment.Parse(Take(pair.TunDb, $"SYN {i}")).SourcePort);
        }

        Assert.Equal(Count, ports.Count);
        Assert.True(pair.LaptopRelay.Sent.Count > 1, "some went through the relay");
        Assert.True(pair.Network.Delivered > 0, "some went direct");
        Assert.Equal(0, pair.Laptop.Counters.TotalDrops);
        Assert.Equal(0, pair.Db.Counters.TotalDrops);
    }

    private sealed class PathPairWithoutSinks : IDisposable
    {
        public PathPairWithoutSinks()
        {
            Device = new Node.Device.Device(new MemoryTun("solo0"), Network.Host("192.0.2.1"), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, new DeviceOptions { PathManaged = true });
            Device.Configure(WireGuard.Keys.WgKey.GeneratePrivate(), 51820);
            Device.Start();
        }

        public MemoryNetwork Network { get; } = new();

        public Node.Device.Device Device { get; }

        public void Dispose() => Device.Dispose();
    }
}
