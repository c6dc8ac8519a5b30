using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace MeshPorts.Native.Linux.Tests;

/// <summary>
/// TUN devices opened with IFF_VNET_HDR and TUNSETOFFLOAD. The traffic tests run inside a fresh
/// network namespace (see <see cref="NetworkNamespace"/>): the TUN is 10.77.0.1/24 and the "peer"
/// 10.77.0.2 exists only as the route into it.
/// </summary>
public sealed class LinuxTunOffloadTests
{
    private readonly ITestOutputHelper _output;

    private static readonly IPAddress Local = IPAddress.Parse("10.77.0.1");
    private static readonly IPAddress Peer = IPAddress.Parse("10.77.0.2");
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly LinuxTunOptions WithOffloads = new() { Offloads = true };

    public LinuxTunOffloadTests(ITestOutputHelper output)
    {
        TestNetwork.RequireRootAndTun();
        _output = output;
    }

    /// <summary>USO (TUN_F_USO4/6) arrived in Linux 6.2.</summary>
    internal static bool KernelHasUso
    {
        get
        {
            var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
            var parts = release.Split('.', '-');
            var major = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            var minor = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            return major > 6 || (major == 6 && minor >= 2);
        }
    }

    [Fact]
    public void Create_WithOffloads_GetsTheVnetHeaderChecksumTsoAndOnLinux62UsoToo()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName(), options: WithOffloads);
        var expected = TunOffloads.VnetHeader | TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6;
        if (KernelHasUso)
        {
            expected |= TunOffloads.Uso4 | TunOffloads.Uso6;
        }

        Assert.Equal(expected, tun.Offloads);
        Assert.True(tun.HasVnetHeader);
        // IFF_TUN | IFF_NO_PI | IFF_VNET_HDR, as the driver reports the open flags.
        Assert.Equal(0x5001, Convert.ToInt32(TestNetwork.SysClassNet(tun.Name, "tun_flags"), 16));
    }

    [Fact]
    public void Create_WithoutOffloads_ReportsNone()
    {
        using var tun = LinuxTun.Create(TestNetwork.InterfaceName());
        Assert.Equal(TunOffloads.None, tun.Offloads);
        Assert.False(tun.HasVnetHeader);
        Assert.Equal(0x1001, Convert.ToInt32(TestNetwork.SysClassNet(tun.Name, "tun_flags"), 16));
    }

    [Fact]
    public void TryRead_WithNothingQueued_ReturnsZeroAtOnce_AndZeroAfterDispose()
    {
        var tun = LinuxTun.Create(TestNetwork.InterfaceName(), options: WithOffloads with { BringUp = false });
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, tun.TryRead(new byte[2048]));
        Assert.True(clock.ElapsedMilliseconds < 500, $"TryRead took {clock.ElapsedMilliseconds} ms with nothing queued.");
        tun.Dispose();
        Assert.Equal(0, tun.TryRead(new byte[2048]));
    }

    [Fact]
    public void KernelUdpSegmentSend_ReachesTheOffloadTunAsOneUdpL4SuperPacketWithAPartialChecksum()
    {
        Assert.True(KernelHasUso, "This kernel predates USO (Linux 6.2), so the TUN cannot be handed UDP super-packets.");
        using var ns = NetworkNamespace.Create();
        ns.Run(() =>
        {
            using var tun = CreateAddressed(WithOffloads);
            Assert.True((tun.Offloads & TunOffloads.Uso4) != 0, $"USO4 was not granted ({tun.Offloads}).");
            const int segment = 1000;
            var payload = Pattern((10 * segment) + 400, seed: 7);
            using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            SetUdpSegment(sender, segment);
            sender.Bind(new IPEndPoint(Local, 0));
            Assert.Equal(payload.Length, sender.SendTo(payload, new IPEndPoint(Peer, 7001)));

            var (header, packet) = ReadUdpTo(tun, 7001);
            _output.WriteLine($"UDP_SEGMENT read: {packet.Length} bytes, gso_type {header.GsoType}, gso_size {header.GsoSize}, hdr_len {header.HeaderLength}, flags {header.Flags}, csum {header.ChecksumStart}+{header.ChecksumOffset}");
            Assert.Equal(VirtioNetHeader.GsoUdpL4, header.GsoType);
            Assert.Equal(segment, header.GsoSize);
            Assert.Equal(VirtioNetHeader.FlagNeedsChecksum, header.Flags);
            Assert.Equal(Ipv4Packet.HeaderLength, header.ChecksumStart);
            Assert.Equal(6, header.ChecksumOffset);
            Assert.Equal(Ipv4Packet.HeaderLength + Ipv4Packet.UdpHeaderLength + payload.Length, packet.Length);
            Assert.Equal(packet.Length, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2)));
            Assert.True(packet.AsSpan(Ipv4Packet.HeaderLength + Ipv4Packet.UdpHeaderLength).SequenceEqual(payload),
                "The super-packet's payload differs from what was sent.");
            // Nothing else for that port: the kernel did not also segment it.
            Assert.Null(TryReadUdpTo(tun, 7001, TimeSpan.FromMilliseconds(200)));
        }, Timeout);
    }

    [Fact]
    public void KernelTcpWrite_ReachesTheOffloadTunAsATso4SuperPacket()
    {
        using var ns = NetworkNamespace.Create();
        ns.Run(() =>
        {
            using var tun = CreateAddressed(WithOffloads);
            const ushort port = 7100;
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var connecting = client.ConnectAsync(new IPEndPoint(Peer, port));

            // Play the peer's side of the handshake by hand.
            static bool IsTcpTo(byte[] p) => p[9] == 6 && BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(22)) == port;
            var (synHeader, syn) = TryReadMatching(tun, p => IsTcpTo(p) && (p[33] & 0x02) != 0, TimeSpan.FromSeconds(5))
                ?? throw new Xunit.Sdk.XunitException("No SYN came out of the TUN.");
            Assert.Equal(VirtioNetHeader.GsoNone, synHeader.GsoType);
            var clientPort = BinaryPrimitives.ReadUInt16BigEndian(syn.AsSpan(20));
            var clientSequence = BinaryPrimitives.ReadUInt32BigEndian(syn.AsSpan(24));
            const uint peerSequence = 0x1000;
            Assert.True(tun.Write(new byte[VirtioNetHeader.Size], Ipv4Packet.TcpSynAck(Peer, port, Local, clientPort, peerSequence, clientSequence + 1, mss: 1460)));
            Assert.True(connecting.Wait(TimeSpan.FromSeconds(5)), "The connect did not complete after the SYN-ACK.");

            var data = Pattern(20000, seed: 11);
            Assert.Equal(data.Length, client.Send(data));
            var (header, packet) = TryReadMatching(tun, p => IsTcpTo(p) && p.Length > Ipv4Packet.HeaderLength + ((p[32] >> 4) * 4), TimeSpan.FromSeconds(5))
                ?? throw new Xunit.Sdk.XunitException("No TCP data came out of the TUN.");
            var tcpHeaderLength = (packet[32] >> 4) * 4;
            var payload = packet.AsSpan(Ipv4Packet.HeaderLength + tcpHeaderLength);
            // MSS = TUN MTU 1420 - 20 (IPv4) - 20 (TCP); with timestamps the kernel's segments carry 12 bytes less.
            var mss = 1420 - 40 - (tcpHeaderLength - 20);
            _output.WriteLine($"First data read: {packet.Length} bytes, TCP header {tcpHeaderLength}, gso_type {header.GsoType}, gso_size {header.GsoSize}, hdr_len {header.HeaderLength}, flags {header.Flags}, csum {header.ChecksumStart}+{header.ChecksumOffset}");
            Assert.Equal(VirtioNetHeader.GsoTcpV4, header.GsoType);
            Assert.Equal(mss, header.GsoSize);
            Assert.Equal(VirtioNetHeader.FlagNeedsChecksum, header.Flags);
            Assert.Equal(Ipv4Packet.HeaderLength, header.ChecksumStart);
            Assert.Equal(16, header.ChecksumOffset);
            Assert.True(payload.Length > mss, $"The first data packet has {payload.Length} bytes: not a super-packet of {mss}-byte segments.");
            Assert.True(payload.SequenceEqual(data.AsSpan(0, payload.Length)), "The super-packet does not carry the start of the stream.");
            Assert.Equal(clientSequence + 1, BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(24)));
        }, Timeout);
    }

    [Fact]
    public void KernelSmallDatagram_OnTheOffloadTun_HasGsoNoneAndAChecksumLeftForTheReader()
    {
        using var ns = NetworkNamespace.Create();
        ns.Run(() =>
        {
            using var tun = CreateAddressed(WithOffloads);
            var payload = Pattern(300, seed: 3);
            using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            sender.SendTo(payload, new IPEndPoint(Peer, 7002));

            var (header, packet) = ReadUdpTo(tun, 7002);
            _output.WriteLine($"Small datagram read: {packet.Length} bytes, gso_type {header.GsoType}, gso_size {header.GsoSize}, hdr_len {header.HeaderLength}, flags {header.Flags}, csum {header.ChecksumStart}+{header.ChecksumOffset}");
            Assert.Equal(VirtioNetHeader.GsoNone, header.GsoType);
            Assert.Equal(0, header.GsoSize);
            Assert.Equal(VirtioNetHeader.FlagNeedsChecksum, header.Flags);
            Assert.Equal(Ipv4Packet.HeaderLength, header.ChecksumStart);
            Assert.Equal(6, header.ChecksumOffset);
            Assert.True(Ipv4Packet.IsUdpTo(packet, Peer, 7002, payload));
            Assert.False(Ipv4Packet.UdpChecksumIsValid(packet), "The kernel finished the checksum although the reader offered to.");
            Ipv4Packet.FinishChecksum(packet, header.ChecksumStart, header.ChecksumOffset);
            Assert.True(Ipv4Packet.UdpChecksumIsValid(packet), "Finishing the checksum as the header says did not give a valid one.");
        }, Timeout);
    }

    [Fact]
    public void KernelDatagrams_OnAPlainTun_ArriveWithoutHeaderChecksummedAndSegmentedBySoftware()
    {
        using var ns = NetworkNamespace.Create();
        ns.Run(() =>
        {
            using var tun = CreateAddressed(LinuxTunOptions.Default);
            var payload = Pattern(300, seed: 4);
            using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            sender.SendTo(payload, new IPEndPoint(Peer, 7003));
            var (_, packet) = ReadUdpTo(tun, 7003);
            Assert.True(Ipv4Packet.IsUdpTo(packet, Peer, 7003, payload), "A plain TUN read does not start with the IP header.");
            Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(26)));
            Assert.True(Ipv4Packet.UdpChecksumIsValid(packet), "A plain TUN got a packet with an unfinished checksum.");

            // A UDP_SEGMENT send toward this device (no checksum offload, no USO): 6.18 does not
            // refuse it (older kernels said EIO) but segments and checksums it in software.
            using var gso = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            SetUdpSegment(gso, 500);
            var big = Pattern(1300, seed: 5);
            Assert.Equal(big.Length, gso.SendTo(big, new IPEndPoint(Peer, 7004)));
            var offset = 0;
            foreach (var expected in new[] { 500, 500, 300 })
            {
                var (_, segment) = ReadUdpTo(tun, 7004);
                Assert.True(Ipv4Packet.IsUdpTo(segment, Peer, 7004, big.AsSpan(offset, expected)), $"Segment at {offset} is not the next {expected} bytes.");
                Assert.True(Ipv4Packet.UdpChecksumIsValid(segment), $"Segment at {offset} has no valid checksum.");
                offset += expected;
            }

        }, Timeout);
    }

    [Fact]
    public void Write_WithAnAllZeroHeader_IsDeliveredToASocketInTheNamespace()
    {
        using var ns = NetworkNamespace.Create();
        ns.Run(() =>
        {
            using var tun = CreateAddressed(WithOffloads);
            using var receiver = BoundReceiver(out var port);
            var packet = Ipv4Packet.Udp(Peer, 4000, Local, port, "zero-header"u8);
            Assert.True(tun.Write(new byte[VirtioNetHeader.Size], packet));
            Assert.Equal("zero-header", ReceiveText(receiver, out var from));
            Assert.Equal(new IPEndPoint(Peer, 4000), from);
            Assert.Equal(0, tun.DroppedWrites);
        }, Timeout);
    }

    /// <summary>
    /// What the kernel makes of a wrong UDP checksum written to the TUN. Observed on 6.18: with no flag
    /// and with VIRTIO_NET_HDR_F_DATA_VALID alike, UDP verifies the checksum and drops the packet
    /// (Udp InCsumErrors +1): the TUN write path does not turn DATA_VALID into CHECKSUM_UNNECESSARY.
    /// With NEEDS_CSUM the skb is CHECKSUM_PARTIAL, which local delivery trusts, so it is delivered.
    /// </summary>
    [Theory]
    [InlineData(0, false)]
    [InlineData(VirtioNetHeader.FlagDataValid, false)]
    [InlineData(VirtioNetHeader.FlagNeedsChecksum, true)]
    public void Write_WithAWrongUdpChecksum_IsDroppedUnlessMarkedChecksumPartial(byte flags, bool delivered)
    {
        using var ns = NetworkNamespace.Create();
        ns.Run(() =>
        {
            using var tun = CreateAddressed(WithOffloads);
            using var receiver = BoundReceiver(out var port);
            var bad = Ipv4Packet.Udp(Peer, 4001, Local, port, "bad-checksum"u8);
            Ipv4Packet.SetUdpChecksum(bad);
            bad[27] ^= 0x5A;
            Assert.False(Ipv4Packet.UdpChecksumIsValid(bad));
            var good = Ipv4Packet.Udp(Peer, 4001, Local, port, "good-checksum"u8);
            Ipv4Packet.SetUdpChecksum(good);
            Assert.True(Ipv4Packet.UdpChecksumIsValid(good));

            var errorsBefore = NetworkNamespace.SnmpCounter("Udp", "InCsumErrors");
            var header = new byte[VirtioNetHeader.Size];
            var partial = flags == VirtioNetHeader.FlagNeedsChecksum;
            new VirtioNetHeader
            {
                Flags = flags,
                ChecksumStart = partial ? (ushort)Ipv4Packet.HeaderLength : (ushort)0,
                ChecksumOffset = partial ? (ushort)6 : (ushort)0,
            }.Write(header);
            // The TUN accepts the write either way; the checksum is judged later, by UDP.
            Assert.True(tun.Write(header, bad));
            Assert.True(tun.Write(new byte[VirtioNetHeader.Size], good));

            if (delivered)
            {
                Assert.Equal("bad-checksum", ReceiveText(receiver, out _));
            }

            Assert.Equal("good-checksum", ReceiveText(receiver, out _));
            Assert.Equal(delivered ? 0 : 1, NetworkNamespace.SnmpCounter("Udp", "InCsumErrors") - errorsBefore);
        }, Timeout);
    }

    [Fact]
    public void Write_OnAPlainTun_OfAWrongUdpChecksum_IsDroppedByUdp()
    {
        using var ns = NetworkNamespace.Create();
        ns.Run(() =>
        {
            using var tun = CreateAddressed(LinuxTunOptions.Default);
            using var receiver = BoundReceiver(out var port);
            var bad = Ipv4Packet.Udp(Peer, 4003, Local, port, "bad-checksum"u8);
            Ipv4Packet.SetUdpChecksum(bad);
            bad[26] ^= 0x11;
            var before = NetworkNamespace.SnmpCounter("Udp", "InCsumErrors");
            Assert.True(tun.Write(bad));
            Assert.True(tun.Write(Ipv4Packet.Udp(Peer, 4003, Local, port, "plain-after"u8)));
            Assert.Equal("plain-after", ReceiveText(receiver, out _));
            Assert.Equal(1, NetworkNamespace.SnmpCounter("Udp", "InCsumErrors") - before);
        }, Timeout);
    }

    [Fact]
    public void Write_OfAUdpL4SuperPacket_IsCutIntoDatagramsForTheReceiver()
    {
        using var ns = NetworkNamespace.Create();
        ns.Run(() =>
        {
            using var tun = CreateAddressed(WithOffloads);
            using var receiver = BoundReceiver(out var port);
            const int segment = 500;
            var payload = Pattern((2 * segment) + 300, seed: 9);
            var packet = Ipv4Packet.Udp(Peer, 4002, Local, port, payload);
            Ipv4Packet.SetPartialUdpChecksum(packet);
            var header = new byte[VirtioNetHeader.Size];
            new VirtioNetHeader
            {
                Flags = VirtioNetHeader.FlagNeedsChecksum,
                GsoType = VirtioNetHeader.GsoUdpL4,
                HeaderLength = Ipv4Packet.HeaderLength + Ipv4Packet.UdpHeaderLength,
                GsoSize = segment,
                ChecksumStart = Ipv4Packet.HeaderLength,
                ChecksumOffset = 6,
            }.Write(header);
            Assert.True(tun.Write(header, packet), $"The TUN refused the super-packet (dropped {tun.DroppedWrites}).");

            var data = new byte[65536];
            var received = new List<byte[]>();
            for (var i = 0; i < 3; i++)
            {
                var n = receiver.Receive(data);
                received.Add(data[..n]);
            }

            Assert.Equal([segment, segment, 300], received.Select(r => r.Length));
            Assert.True(received.SelectMany(r => r).SequenceEqual(payload), "The segments do not add up to the payload.");
            Assert.Equal(0, NetworkNamespace.SnmpCounter("Udp", "InCsumErrors"));
        }, Timeout);
    }

    /// <summary>setsockopt(SOL_UDP, UDP_SEGMENT): every send is cut into datagrams of <paramref name="size"/> bytes.</summary>
    internal static void SetUdpSegment(Socket socket, int size) =>
        socket.SetRawSocketOption(17, 103, BitConverter.GetBytes(size));

    internal static LinuxTun CreateAddressed(LinuxTunOptions options)
    {
        var tun = LinuxTun.Create(TestNetwork.InterfaceName(), options: options);
        try
        {
            Rtnetlink.AddAddress(Rtnetlink.GetInterfaceIndex(tun.Name), Local, 24);
            return tun;
        }
        catch
        {
            tun.Dispose();
            throw;
        }
    }

    internal static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 31) + (i / 251) + seed);
        }

        return bytes;
    }

    /// <summary>Polls TryRead until an IPv4/UDP packet for 10.77.0.2:<paramref name="port"/> shows up; fails after a few seconds.</summary>
    internal static (VirtioNetHeader Header, byte[] Packet) ReadUdpTo(LinuxTun tun, ushort port) =>
        TryReadUdpTo(tun, port, TimeSpan.FromSeconds(5)) ?? throw new Xunit.Sdk.XunitException($"No UDP packet for {Peer}:{port} came out of {tun.Name} within 5 s.");

    internal static (VirtioNetHeader Header, byte[] Packet)? TryReadUdpTo(LinuxTun tun, ushort port, TimeSpan timeout) =>
        TryReadMatching(tun, p => p[9] == 17 && BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(22)) == port, timeout);

    /// <summary>Polls TryRead for an IPv4 packet to 10.77.0.2 that <paramref name="match"/> accepts, skipping anything else.</summary>
    internal static (VirtioNetHeader Header, byte[] Packet)? TryReadMatching(LinuxTun tun, Func<byte[], bool> match, TimeSpan timeout)
    {
        var buffer = new byte[VirtioNetHeader.Size + 65536];
        var offset = tun.HasVnetHeader ? VirtioNetHeader.Size : 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var n = tun.TryRead(buffer);
            if (n == 0)
            {
                Thread.Sleep(2);
                continue;
            }

            var packet = buffer.AsSpan(offset, n - offset).ToArray();
            // Skip what else a fresh device sends (IPv6 router solicitations, MLD reports).
            if (packet.Length >= 28 && packet[0] >> 4 == 4 && new IPAddress(packet.AsSpan(16, 4)).Equals(Peer) && match(packet))
            {
                return (tun.HasVnetHeader ? VirtioNetHeader.Read(buffer) : default, packet);
            }
        }

        return null;
    }

    private static Socket BoundReceiver(out ushort port)
    {
        var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 3000 };
        receiver.Bind(new IPEndPoint(Local, 0));
        port = (ushort)((IPEndPoint)receiver.LocalEndPoint!).Port;
        return receiver;
    }

    private static string ReceiveText(Socket receiver, out EndPoint from)
    {
        var data = new byte[2048];
        from = new IPEndPoint(IPAddress.Any, 0);
        var n = receiver.ReceiveFrom(data, ref from);
        return System.Text.Encoding.ASCII.GetString(data, 0, n);
    }
}
