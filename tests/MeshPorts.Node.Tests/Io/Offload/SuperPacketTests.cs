using System.Buffers.Binary;
using MeshPorts.Native.Linux;
using MeshPorts.Node.Io.Offload;
using static MeshPorts.Node.Tests.Io.Offload.OffloadPackets;

namespace MeshPorts.Node.Tests.Io.Offload;

public class SuperPacketTests
{
    private const int Slot = 1500;

    [Theory]
    [InlineData(false, 20_000, 1380)]
    [InlineData(false, 65_000, 1337)]
    [InlineData(false, 4_141, 1379)]
    [InlineData(true, 20_000, 1380)]
    [InlineData(true, 64_000, 1233)]
    [InlineData(true, 2_761, 1380)]
    public void TcpTso_IsCutIntoSegmentsAReceiverAccepts(bool v6, int payloadLength, int gsoSize)
    {
        var payload = RandomBytes(payloadLength, payloadLength + gsoSize);
        var options = Timestamps(0xA1B2C3D4, 0x01020304);
        const uint Sequence = 0xFFFF_8000; // wraps past 2^32 within the larger packets
        const uint AckNumber = 0x7000_0001;
        const ushort Id = 0xFFF0; // wraps within the larger packets
        const byte Flags = Ack | Psh | Fin | Cwr | Ece;
        var super = Tcp(v6, Sequence, AckNumber, Flags, options, payload, Id, checksum: ChecksumMode.Partial);
        var ip = v6 ? 40 : 20;
        var header = Tso(v6, gsoSize, ip + 32);

        var segments = Split(header, super, Slot, 64);

        var expectedCount = (payloadLength + gsoSize - 1) / gsoSize;
        Assert.Equal(expectedCount, segments.Count);
        var joined = new List<byte>();
        for (var k = 0; k < segments.Count; k++)
        {
            var segment = segments[k];
            var last = k == segments.Count - 1;
            var size = last ? payloadLength - (k * gsoSize) : gsoSize;
            Assert.Equal(ip + 32 + size, segment.Length);
            if (v6)
            {
                Assert.Equal(segment.Length - 40, BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(4)));
                Assert.Equal(super.AsSpan(0, 4).ToArray(), segment.AsSpan(0, 4).ToArray());
            }
            else
            {
                Assert.Equal(segment.Length, BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(2)));
                Assert.Equal(unchecked((ushort)(Id + k)), Ipv4Id(segment));
                Assert.True(Ipv4HeaderChecksumValid(segment), $"IPv4 header checksum, segment {k}");
            }

            Assert.Equal(unchecked(Sequence + (uint)(k * gsoSize)), OffloadPackets.Sequence(segment));
            Assert.Equal(AckNumber, Acknowledgment(segment));
            var flags = TcpFlags(segment);
            Assert.Equal(last, (flags & Fin) != 0);
            Assert.Equal(last, (flags & Psh) != 0);
            Assert.Equal(k == 0, (flags & Cwr) != 0);
            Assert.Equal(Ack | Ece, flags & (Ack | Ece | Syn | Rst | Urg));
            Assert.Equal(32, TcpHeaderLength(segment));
            Assert.Equal(options, segment.AsSpan(ip + 20, 12).ToArray());
            Assert.True(TransportChecksumValid(segment), $"TCP checksum, segment {k}");
            joined.AddRange(TcpPayload(segment));

            // And byte for byte what an independent builder makes of the same fields.
            var expectedFlags = (byte)(Flags & ~(last ? 0 : Fin | Psh) & ~(k == 0 ? 0 : Cwr));
            var expected = Tcp(v6, unchecked(Sequence + (uint)(k * gsoSize)), AckNumber, expectedFlags, options, payload.AsSpan(k * gsoSize, size), unchecked((ushort)(Id + k)));
            Assert.Equal(expected, segment);
        }

        Assert.Equal(payload, joined.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TcpTso_ResumedThreeSlotsAtATime_GivesTheSameSegments(bool v6)
    {
        var payload = RandomBytes(30_001, 3);
        var super = Tcp(v6, 12345, 678, Ack | Psh, Timestamps(1, 2), payload, 100, checksum: ChecksumMode.Partial);
        var header = Tso(v6, 1380, (v6 ? 40 : 20) + 32);
        var all = Split(header, super, Slot, 64);
        var threes = Split(header, super, Slot, 3);
        var ones = Split(header, super, Slot, 1);
        Assert.Equal(22, all.Count);
        Assert.Equal(all, threes);
        Assert.Equal(all, ones);
    }

    [Fact]
    public void TcpTso_SlotsLargerThanTheSegment_AreFilledFromTheirStart()
    {
        var payload = RandomBytes(5000, 8);
        var super = Tcp(false, 1, 2, Ack, [], payload, checksum: ChecksumMode.Partial);
        var header = Tso(false, 1000, 40);
        var sp = default(SuperPacket);
        Assert.True(sp.TryStart(header, super, 2000));
        var slots = new byte[2000 * 4];
        var lengths = new int[4];
        Assert.Equal(4, sp.WriteSegments(super, slots, 2000, lengths));
        Assert.False(sp.IsDone);
        Assert.Equal(new[] { 1040, 1040, 1040, 1040 }, lengths);
        for (var k = 0; k < 4; k++)
        {
            var segment = slots.AsSpan(k * 2000, lengths[k]);
            Assert.Equal(payload.AsSpan(k * 1000, 1000).ToArray(), TcpPayload(segment));
            Assert.True(TransportChecksumValid(segment));
        }

        Assert.Equal(1, sp.WriteSegments(super, slots, 2000, lengths));
        Assert.True(sp.IsDone);
        Assert.Equal(0, sp.WriteSegments(super, slots, 2000, lengths));
    }

    [Fact]
    public void TcpTso_WithIpv4Options_KeepsThemInEverySegment()
    {
        var payload = RandomBytes(4000, 31);
        var plain = Tcp(false, 77, 88, Ack | Psh, Timestamps(3, 4), payload, 9, checksum: ChecksumMode.Partial);

        // The same packet with a 24-byte IPv4 header: NOP, NOP, NOP, end of options.
        byte[] ipOptions = [1, 1, 1, 0];
        var super = plain[..20].Concat(ipOptions).Concat(plain[20..]).ToArray();
        super[0] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(super.AsSpan(2), (ushort)super.Length);
        super[10] = 0;
        super[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(super.AsSpan(10), (ushort)~RefSum(super.AsSpan(0, 24)));
        var header = new VirtioNetHeader
        {
            Flags = VirtioNetHeader.FlagNeedsChecksum,
            GsoType = VirtioNetHeader.GsoTcpV4,
            HeaderLength = 56,
            GsoSize = 1400,
            ChecksumStart = 24,
            ChecksumOffset = 16,
        };

        var segments = Split(header, super, Slot, 8);

        Assert.Equal(new[] { 56 + 1400, 56 + 1400, 56 + 1200 }, segments.Select(s => s.Length));
        var joined = new List<byte>();
        for (var k = 0; k < segments.Count; k++)
        {
            var segment = segments[k];
            Assert.Equal(0x46, segment[0]);
            Assert.Equal(ipOptions, segment.AsSpan(20, 4).ToArray());
            Assert.Equal(segment.Length, BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(2)));
            Assert.Equal(9 + k, Ipv4Id(segment));
            Assert.True(Ipv4HeaderChecksumValid(segment));
            Assert.Equal(77u + (uint)(k * 1400), Sequence(segment));
            Assert.Equal(k == 2, (TcpFlags(segment) & Psh) != 0);
            Assert.True(TransportChecksumValid(segment), $"TCP checksum, segment {k}");
            joined.AddRange(TcpPayload(segment));
        }

        Assert.Equal(payload, joined.ToArray());
    }

    [Theory]
    [InlineData(false, 5000, 1200)]
    [InlineData(true, 5000, 1200)]
    [InlineData(false, 1201, 1200)]
    [InlineData(true, 64_000, 1452)]
    public void UdpUso_IsCutIntoDatagramsWithTheirOwnLengthsAndChecksums(bool v6, int payloadLength, int gsoSize)
    {
        var payload = RandomBytes(payloadLength, 11);
        const ushort Id = 0x0100;
        var super = Udp(v6, payload, Id, checksum: ChecksumMode.Partial);
        var ip = v6 ? 40 : 20;
        var header = Uso(gsoSize, ip);

        var segments = Split(header, super, Slot, 64);

        Assert.Equal((payloadLength + gsoSize - 1) / gsoSize, segments.Count);
        for (var k = 0; k < segments.Count; k++)
        {
            var size = Math.Min(gsoSize, payloadLength - (k * gsoSize));
            var expected = Udp(v6, payload.AsSpan(k * gsoSize, size), (ushort)(Id + k));
            var segment = segments[k];
            Assert.Equal(8 + size, BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(ip + 4)));
            Assert.True(TransportChecksumValid(segment), $"UDP checksum, datagram {k}");
            if (!v6)
            {
                Assert.True(Ipv4HeaderChecksumValid(segment));
            }

            Assert.Equal(expected, segment);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UdpUso_AComputedZeroChecksumIsSentAsAllOnes(bool v6)
    {
        const int Size = 100;
        var ip = v6 ? 40 : 20;
        var payload = RandomBytes(3 * Size, 5);

        // Pick the first two payload bytes of every datagram so that its checksum comes out as zero.
        for (var k = 0; k < 3; k++)
        {
            payload[k * Size] = 0;
            payload[(k * Size) + 1] = 0;
            var datagram = Udp(v6, payload.AsSpan(k * Size, Size));
            datagram[ip + 6] = 0;
            datagram[ip + 7] = 0;
            var sum = RefSum(datagram.AsSpan(ip), RefPseudoOf(datagram));
            var fix = (ushort)(0xFFFF - sum);
            payload[k * Size] = (byte)(fix >> 8);
            payload[(k * Size) + 1] = (byte)fix;
        }

        var super = Udp(v6, payload, checksum: ChecksumMode.Partial);
        var segments = Split(Uso(Size, ip), super, Slot, 8);

        Assert.Equal(3, segments.Count);
        foreach (var segment in segments)
        {
            Assert.Equal(0xFFFF, TransportChecksumField(segment));
            Assert.True(TransportChecksumValid(segment));
        }
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    [InlineData(true, 1333)]
    public void PlainTcpWithPartialChecksum_IsFinishedInPlace(bool v6, int payloadLength)
    {
        var payload = RandomBytes(payloadLength, 21);
        var packet = Tcp(v6, 5, 6, Ack | Psh, Timestamps(9, 8), payload, checksum: ChecksumMode.Partial);
        var expected = Tcp(v6, 5, 6, Ack | Psh, Timestamps(9, 8), payload);
        var ip = v6 ? 40 : 20;
        var header = new VirtioNetHeader { Flags = VirtioNetHeader.FlagNeedsChecksum, ChecksumStart = (ushort)ip, ChecksumOffset = 16 };

        var sp = default(SuperPacket);
        Assert.True(sp.TryStart(header, packet, Slot));

        Assert.Equal(expected, packet);
        Assert.True(TransportChecksumValid(packet));
        var slots = new byte[Slot * 2];
        var lengths = new int[2];
        Assert.Equal(1, sp.WriteSegments(packet, slots, Slot, lengths));
        Assert.True(sp.IsDone);
        Assert.Equal(expected, slots.AsSpan(0, lengths[0]).ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PlainUdpWithPartialChecksum_IsFinishedInPlace(bool v6)
    {
        var payload = RandomBytes(777, 22);
        var packet = Udp(v6, payload, checksum: ChecksumMode.Partial);
        var expected = Udp(v6, payload);
        var header = new VirtioNetHeader { Flags = VirtioNetHeader.FlagNeedsChecksum, ChecksumStart = (ushort)(v6 ? 40 : 20), ChecksumOffset = 6 };
        var sp = default(SuperPacket);
        Assert.True(sp.TryStart(header, packet, Slot));
        Assert.Equal(expected, packet);
        Assert.True(TransportChecksumValid(packet));
    }

    [Fact]
    public void PlainUdpWithPartialChecksum_AComputedZeroBecomesAllOnes()
    {
        var payload = RandomBytes(40, 23);
        payload[0] = 0;
        payload[1] = 0;
        var probe = Udp(false, payload);
        probe[26] = 0;
        probe[27] = 0;
        var fix = (ushort)(0xFFFF - RefSum(probe.AsSpan(20), RefPseudoOf(probe)));
        payload[0] = (byte)(fix >> 8);
        payload[1] = (byte)fix;
        var packet = Udp(false, payload, checksum: ChecksumMode.Partial);
        var header = new VirtioNetHeader { Flags = VirtioNetHeader.FlagNeedsChecksum, ChecksumStart = 20, ChecksumOffset = 6 };
        var sp = default(SuperPacket);
        Assert.True(sp.TryStart(header, packet, Slot));
        Assert.Equal(0xFFFF, TransportChecksumField(packet));
        Assert.True(TransportChecksumValid(packet));
    }

    [Fact]
    public void PlainPacketWithoutNeedsChecksum_IsLeftUntouched()
    {
        var packet = Tcp(false, 5, 6, Ack, [], RandomBytes(100, 1), checksum: ChecksumMode.Broken);
        var copy = packet.ToArray();
        var sp = default(SuperPacket);
        Assert.True(sp.TryStart(default, packet, Slot));
        Assert.Equal(copy, packet);
        var slots = new byte[Slot];
        var lengths = new int[1];
        Assert.Equal(1, sp.WriteSegments(packet, slots, Slot, lengths));
        Assert.Equal(copy, slots.AsSpan(0, lengths[0]).ToArray());
    }

    [Fact]
    public void HeaderReadFromBytes_DrivesTheSplit()
    {
        // flags 1, gso TCPV4|ECN, hdr_len 52, gso_size 1000, csum_start 20, csum_offset 16, little-endian.
        byte[] raw = [0x01, 0x81, 52, 0, 0xE8, 0x03, 20, 0, 16, 0];
        var header = VirtioNetHeader.Read(raw);
        var super = Tcp(false, 0, 0, Ack, Timestamps(1, 1), RandomBytes(2500, 2), checksum: ChecksumMode.Partial);
        var segments = Split(header, super, Slot, 8);
        Assert.Equal(new[] { 52 + 1000, 52 + 1000, 52 + 500 }, segments.Select(s => s.Length));
        Assert.All(segments, s => Assert.True(TransportChecksumValid(s)));
    }

    public static TheoryData<string> MalformedCases() => new()
    {
        "unknown gso type 3 (UFO)",
        "unknown gso type 7",
        "TCPV4 on an IPv6 packet",
        "TCPV6 on an IPv4 packet",
        "TCPV4 on a UDP packet",
        "UDP_L4 on a TCP packet",
        "gso_size 0",
        "packet shorter than the TCP header",
        "doff beyond the packet",
        "doff below 5",
        "UDP header cut short",
        "header plus gso_size bigger than the slot",
        "plain packet larger than the slot",
        "version 5",
        "version 0",
        "empty packet",
        "IPv4 shorter than 20 bytes",
        "IPv4 IHL 4",
        "IPv4 IHL beyond the packet",
        "IPv6 shorter than 40 bytes",
        "partial checksum field beyond the packet",
    };

    [Theory]
    [MemberData(nameof(MalformedCases))]
    public void MalformedOrUnsupportedInput_IsRefused(string name)
    {
        var (header, packet) = Malformed(name);
        var sp = default(SuperPacket);
        Assert.False(sp.TryStart(header, packet, Slot), name);
        Assert.True(sp.IsDone, name);
    }

    [Fact]
    public void AFailedStart_LeavesNothingToWrite_EvenAfterASuccessfulOne()
    {
        var good = Tcp(false, 0, 0, Ack, [], RandomBytes(3000, 4), checksum: ChecksumMode.Partial);
        var sp = default(SuperPacket);
        Assert.True(sp.TryStart(Tso(false, 1000, 40), good, Slot));
        Assert.False(sp.TryStart(Tso(false, 0, 40), good, Slot));
        var slots = new byte[Slot * 4];
        Assert.Equal(0, sp.WriteSegments(good, slots, Slot, new int[4]));
    }

    [Fact]
    public void TheLargestSegmentThatFits_IsAccepted()
    {
        // 20 + 32 + 1448 = 1500: exactly one slot.
        var super = Tcp(false, 0, 0, Ack, Timestamps(1, 2), RandomBytes(3000, 4), checksum: ChecksumMode.Partial);
        var segments = Split(Tso(false, 1448, 52), super, Slot, 4);
        Assert.Equal(new[] { 1500, 1500, 52 + 104 }, segments.Select(s => s.Length));
    }

    private static (VirtioNetHeader Header, byte[] Packet) Malformed(string name)
    {
        var tcp4 = Tcp(false, 1, 1, Ack, Timestamps(1, 2), RandomBytes(3000, 1), checksum: ChecksumMode.Partial);
        var tcp6 = Tcp(true, 1, 1, Ack, Timestamps(1, 2), RandomBytes(3000, 1), checksum: ChecksumMode.Partial);
        var udp4 = Udp(false, RandomBytes(3000, 1), checksum: ChecksumMode.Partial);
        var small4 = Tcp(false, 1, 1, Ack, [], RandomBytes(100, 1), checksum: ChecksumMode.Partial);
        var tso4 = Tso(false, 1000, 52);
        var tso6 = Tso(true, 1000, 72);
        switch (name)
        {
            case "unknown gso type 3 (UFO)":
                return (new VirtioNetHeader { GsoType = VirtioNetHeader.GsoUdp, GsoSize = 1000, Flags = 1, ChecksumStart = 20, ChecksumOffset = 6 }, udp4);
            case "unknown gso type 7":
                return (new VirtioNetHeader { GsoType = 7, GsoSize = 1000 }, tcp4);
            case "TCPV4 on an IPv6 packet":
                return (tso4, tcp6);
            case "TCPV6 on an IPv4 packet":
                return (tso6, tcp4);
            case "TCPV4 on a UDP packet":
                return (tso4, udp4);
            case "UDP_L4 on a TCP packet":
                return (Uso(1000, 20), tcp4);
            case "gso_size 0":
                return (Tso(false, 0, 52), tcp4);
            case "packet shorter than the TCP header":
                return (tso4, tcp4[..30]);
            case "doff beyond the packet":
                {
                    var p = tcp4[..50];
                    BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 50);
                    return (tso4, p);
                }

            case "doff below 5":
                {
                    var p = tcp4.ToArray();
                    p[32] = 0x40;
                    return (tso4, p);
                }

            case "UDP header cut short":
                return (Uso(1000, 20), udp4[..25]);
            case "header plus gso_size bigger than the slot":
                return (Tso(false, Slot - 52 + 1, 52), tcp4);
            case "plain packet larger than the slot":
                return (default, tcp4);
            case "version 5":
                {
                    var p = small4.ToArray();
                    p[0] = 0x55;
                    return (default, p);
                }

            case "version 0":
                {
                    var p = small4.ToArray();
                    p[0] = 0x05;
                    return (default, p);
                }

            case "empty packet":
                return (default, []);
            case "IPv4 shorter than 20 bytes":
                return (default, small4[..19]);
            case "IPv4 IHL 4":
                {
                    var p = small4.ToArray();
                    p[0] = 0x44;
                    return (default, p);
                }

            case "IPv4 IHL beyond the packet":
                {
                    var p = small4[..40];
                    p[0] = 0x4F; // 60-byte header in a 40-byte packet
                    return (default, p);
                }

            case "IPv6 shorter than 40 bytes":
                return (default, tcp6[..39]);
            case "partial checksum field beyond the packet":
                return (new VirtioNetHeader { Flags = VirtioNetHeader.FlagNeedsChecksum, ChecksumStart = 20, ChecksumOffset = 200 }, small4);
            default:
                throw new ArgumentException(name);
        }
    }

    /// <summary>Runs TryStart and then WriteSegments with <paramref name="perCall"/> slots until done.</summary>
    internal static List<byte[]> Split(VirtioNetHeader header, byte[] packet, int slotSize, int perCall)
    {
        var input = packet.ToArray();
        var sp = default(SuperPacket);
        Assert.True(sp.TryStart(header, input, slotSize));
        var slots = new byte[perCall * slotSize];
        var lengths = new int[perCall];
        var result = new List<byte[]>();
        for (var calls = 0; !sp.IsDone; calls++)
        {
            Assert.True(calls < 1000, "the split does not end");
            Array.Fill(slots, (byte)0xEE); // stale bytes from an earlier call must not leak into a segment
            var n = sp.WriteSegments(input, slots, slotSize, lengths);
            Assert.InRange(n, 1, perCall);
            Assert.True(n == perCall || sp.IsDone, "stopped with slots to spare");
            for (var i = 0; i < n; i++)
            {
                Assert.InRange(lengths[i], 1, slotSize);
                result.Add(slots.AsSpan(i * slotSize, lengths[i]).ToArray());
            }
        }

        return result;
    }
}
