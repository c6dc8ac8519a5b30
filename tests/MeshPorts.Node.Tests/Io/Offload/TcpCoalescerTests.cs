using System.Buffers.Binary;
using MeshPorts.Native.Linux;
using MeshPorts.Node.Io.Offload;
using static MeshPorts.Node.Tests.Io.Offload.OffloadPackets;

namespace MeshPorts.Node.Tests.Io.Offload;

public class TcpCoalescerTests
{
    private const int SlotSize = 2048;
    private const int Mss = 1380;
    private const uint AckNumber = 0x1000_0001;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InOrderSegmentsOfOneFlow_GoOutAsOneSuperPacketTheKernelAccepts(bool v6)
    {
        var flow = new Flow(v6, 40001, 0xFFFF_F000, 1); // the sequence wraps inside the run
        var packets = Enumerable.Range(0, 10).Select(k => flow.Segment(k * Mss, Mss, Ack, id: (ushort)(500 + k))).ToList();
        packets[^1] = flow.Segment(9 * Mss, Mss, Ack | Psh, id: 509);
        var sink = new RecordingSink();
        var coalescer = new TcpCoalescer();

        var accepted = Run(coalescer, sink, packets);

        Assert.Equal(10, accepted);
        var write = Assert.Single(sink.Writes);
        var ip = v6 ? 40 : 20;
        Assert.Equal(VirtioNetHeader.FlagNeedsChecksum, write.Header.Flags);
        Assert.Equal(v6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4, write.Header.GsoType);
        Assert.Equal(ip + 32, write.Header.HeaderLength);
        Assert.Equal(Mss, write.Header.GsoSize);
        Assert.Equal(ip, write.Header.ChecksumStart);
        Assert.Equal(16, write.Header.ChecksumOffset);

        var merged = write.Packet;
        Assert.Equal(ip + 32 + (10 * Mss), merged.Length);
        Assert.Equal(flow.Data.AsSpan(0, 10 * Mss).ToArray(), TcpPayload(merged));
        Assert.Equal(flow.Isn, Sequence(merged));
        Assert.Equal(AckNumber, Acknowledgment(merged));
        Assert.Equal(Ack | Psh, TcpFlags(merged));
        AssertKernelAccepts(merged);

        // Byte for byte: the same fields built independently, checksum-partial.
        var expected = Tcp(v6, flow.Isn, AckNumber, Ack | Psh, flow.Options, flow.Data.AsSpan(0, 10 * Mss), 500, flow.Port, checksum: ChecksumMode.Partial);
        Assert.Equal(expected, merged);
        Assert.Equal(1, coalescer.Merges);
        Assert.Equal(10, coalescer.MergedSegments);
    }

    [Fact]
    public void TwoFlowsInterleaved_GiveTwoSuperPackets_EachInOrder()
    {
        var a = new Flow(false, 40001, 1000, 1);
        var b = new Flow(false, 40002, 9_000_000, 2);
        var packets = new List<byte[]>();
        for (var k = 0; k < 6; k++)
        {
            packets.Add(a.Segment(k * Mss, Mss));
            packets.Add(b.Segment(k * Mss, Mss));
        }

        var sink = new RecordingSink();
        Assert.Equal(12, Run(new TcpCoalescer(), sink, packets));

        Assert.Equal(2, sink.Writes.Count);
        foreach (var (flow, write) in new[] { a, b }.Select(f => (f, Assert.Single(sink.Writes, w => SourcePort(w.Packet) == f.Port))))
        {
            Assert.Equal(VirtioNetHeader.GsoTcpV4, write.Header.GsoType);
            Assert.Equal(flow.Isn, Sequence(write.Packet));
            Assert.Equal(flow.Data.AsSpan(0, 6 * Mss).ToArray(), TcpPayload(write.Packet));
            AssertKernelAccepts(write.Packet);
        }
    }

    [Fact]
    public void AGapInSequence_EndsTheRun()
    {
        var flow = new Flow(false, 40001, 5, 1);
        var packets = new[] { 0, 1, 3, 4 }.Select(k => flow.Segment(k * Mss, Mss)).ToList();
        var sink = new RecordingSink();
        Assert.Equal(4, Run(new TcpCoalescer(), sink, packets));

        Assert.Equal(2, sink.Writes.Count);
        Assert.Equal(flow.Data.AsSpan(0, 2 * Mss).ToArray(), TcpPayload(sink.Writes[0].Packet));
        Assert.Equal(flow.Data.AsSpan(3 * Mss, 2 * Mss).ToArray(), TcpPayload(sink.Writes[1].Packet));
        Assert.Equal(flow.Isn + (3 * Mss), Sequence(sink.Writes[1].Packet));
        Assert.All(sink.Writes, w => AssertKernelAccepts(w.Packet));
    }

    [Fact]
    public void AReorderedSegment_IsNotMerged_AndOrderIsKept()
    {
        var flow = new Flow(false, 40001, 5, 1);
        var packets = new[] { 0, 2, 1 }.Select(k => flow.Segment(k * Mss, Mss)).ToList();
        var sink = new RecordingSink();
        Assert.Equal(3, Run(new TcpCoalescer(), sink, packets));
        Assert.Equal(new uint[] { flow.Isn, flow.Isn + (2 * Mss), flow.Isn + Mss }, sink.Writes.Select(w => Sequence(w.Packet)));
        Assert.All(sink.Writes, w => Assert.Equal(new byte[VirtioNetHeader.Size], w.RawHeader));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ASegmentWithABadChecksum_IsWrittenAloneAsItCame(bool v6)
    {
        var flow = new Flow(v6, 40001, 5, 1);
        var bad = flow.Segment(2 * Mss, Mss, checksum: ChecksumMode.Broken);
        var packets = new List<byte[]> { flow.Segment(0, Mss), flow.Segment(Mss, Mss), bad, flow.Segment(3 * Mss, Mss), flow.Segment(4 * Mss, Mss) };
        var sink = new RecordingSink();
        Assert.Equal(5, Run(new TcpCoalescer(), sink, packets));

        Assert.Equal(3, sink.Writes.Count);
        Assert.Equal(flow.Data.AsSpan(0, 2 * Mss).ToArray(), TcpPayload(sink.Writes[0].Packet));
        Assert.Equal(bad, sink.Writes[1].Packet);
        Assert.Equal(new byte[VirtioNetHeader.Size], sink.Writes[1].RawHeader); // plain: the kernel checks it
        Assert.Equal(flow.Data.AsSpan(3 * Mss, 2 * Mss).ToArray(), TcpPayload(sink.Writes[2].Packet));
        AssertKernelAccepts(sink.Writes[0].Packet);
        AssertKernelAccepts(sink.Writes[2].Packet);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ABadFirstSegment_IsWrittenAlone_AndTheRunStartsAfterIt(bool v6)
    {
        // The first segment of a run is checked only when a second joins it: that check must still
        // keep a bad one out of the merged packet.
        var flow = new Flow(v6, 40001, 5, 1);
        var bad = flow.Segment(0, Mss, checksum: ChecksumMode.Broken);
        var packets = new List<byte[]> { bad, flow.Segment(Mss, Mss), flow.Segment(2 * Mss, Mss) };
        var sink = new RecordingSink();
        Assert.Equal(3, Run(new TcpCoalescer(), sink, packets));

        Assert.Equal(2, sink.Writes.Count);
        Assert.Equal(bad, sink.Writes[0].Packet);
        Assert.Equal(new byte[VirtioNetHeader.Size], sink.Writes[0].RawHeader);
        Assert.Equal(flow.Data.AsSpan(Mss, 2 * Mss).ToArray(), TcpPayload(sink.Writes[1].Packet));
        AssertKernelAccepts(sink.Writes[1].Packet);
    }

    [Fact]
    public void ASingleBadChecksumSegment_IsWrittenPlain()
    {
        var flow = new Flow(false, 40001, 5, 1);
        var bad = flow.Segment(0, Mss, checksum: ChecksumMode.Broken);
        var sink = new RecordingSink();
        Assert.Equal(1, Run(new TcpCoalescer(), sink, [bad]));
        var write = Assert.Single(sink.Writes);
        Assert.Equal(new byte[VirtioNetHeader.Size], write.RawHeader);
        Assert.Equal(bad, write.Packet);
    }

    [Theory]
    [InlineData(Syn | Ack, 0)]
    [InlineData(Syn, 0)]
    [InlineData(Fin | Ack, 0)]
    [InlineData(Fin | Ack, 100)]
    [InlineData(Rst | Ack, 0)]
    [InlineData(Rst, 0)]
    [InlineData(Urg | Ack, 100)]
    [InlineData(Ack | Ece, 100)]
    [InlineData(Ack | Cwr, 100)]
    [InlineData(Ack, 0)] // a pure ACK carries nothing to merge
    public void ControlSegments_AreWrittenAloneAfterTheirFlowsPendingRun(int flags, int payload)
    {
        var flow = new Flow(false, 40001, 5, 1);
        var other = new Flow(false, 40002, 7, 2);
        var special = flow.Segment(2 * Mss, payload, (byte)flags);
        var packets = new List<byte[]> { flow.Segment(0, Mss), flow.Segment(Mss, Mss), other.Segment(0, Mss), special, flow.Segment((2 * Mss) + payload, Mss) };
        var sink = new RecordingSink();
        Assert.Equal(5, Run(new TcpCoalescer(), sink, packets));

        var ofFlow = sink.Writes.Where(w => SourcePort(w.Packet) == flow.Port).ToList();
        Assert.Equal(3, ofFlow.Count);
        Assert.Equal(flow.Data.AsSpan(0, 2 * Mss).ToArray(), TcpPayload(ofFlow[0].Packet));
        Assert.Equal(special, ofFlow[1].Packet);
        Assert.Equal(new byte[VirtioNetHeader.Size], ofFlow[1].RawHeader);
        Assert.Equal(flow.Isn + (2 * Mss) + (uint)payload, Sequence(ofFlow[2].Packet));
        var single = Assert.Single(sink.Writes, w => SourcePort(w.Packet) == other.Port);
        Assert.Equal(packets[2], single.Packet);
    }

    [Fact]
    public void DifferentAcknowledgmentNumbers_AreNotMerged()
    {
        var flow = new Flow(false, 40001, 5, 1);
        var packets = new List<byte[]>
        {
            flow.Segment(0, Mss), flow.Segment(Mss, Mss),
            flow.Segment(2 * Mss, Mss, ack: AckNumber + 1), flow.Segment(3 * Mss, Mss, ack: AckNumber + 1),
        };
        var sink = new RecordingSink();
        Assert.Equal(4, Run(new TcpCoalescer(), sink, packets));
        Assert.Equal(2, sink.Writes.Count);
        Assert.Equal(AckNumber, Acknowledgment(sink.Writes[0].Packet));
        Assert.Equal(AckNumber + 1, Acknowledgment(sink.Writes[1].Packet));
        Assert.Equal(flow.Data.AsSpan(2 * Mss, 2 * Mss).ToArray(), TcpPayload(sink.Writes[1].Packet));
    }

    [Theory]
    [InlineData("timestamp value")]
    [InlineData("no options")]
    [InlineData("longer options")]
    public void DifferentTcpOptions_AreNotMerged(string change)
    {
        var flow = new Flow(false, 40001, 5, 1);
        var changed = change switch
        {
            "timestamp value" => Timestamps(0x1111_1112, 0x2222_2222),
            "no options" => [],
            _ => Timestamps(0x1111_1111, 0x2222_2222).Concat(new byte[] { 1, 1, 1, 0 }).ToArray(),
        };
        var packets = new List<byte[]>
        {
            flow.Segment(0, Mss), flow.Segment(Mss, Mss),
            flow.Segment(2 * Mss, Mss, options: changed), flow.Segment(3 * Mss, Mss, options: changed),
        };
        var sink = new RecordingSink();
        Assert.Equal(4, Run(new TcpCoalescer(), sink, packets));
        Assert.Equal(2, sink.Writes.Count);
        Assert.Equal(flow.Options, sink.Writes[0].Packet.AsSpan(40, 12).ToArray());
        Assert.Equal(changed, sink.Writes[1].Packet.AsSpan(40, TcpHeaderLength(sink.Writes[1].Packet) - 20).ToArray());
        Assert.Equal(flow.Data.AsSpan(2 * Mss, 2 * Mss).ToArray(), TcpPayload(sink.Writes[1].Packet));
        AssertKernelAccepts(sink.Writes[1].Packet);
    }

    [Fact]
    public void DifferentTtl_IsNotMerged()
    {
        var flow = new Flow(false, 40001, 5, 1);
        var third = flow.Segment(2 * Mss, Mss);
        third[8] = 12;
        third[10] = 0;
        third[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(third.AsSpan(10), (ushort)~RefSum(third.AsSpan(0, 20)));
        var sink = new RecordingSink();
        Assert.Equal(3, Run(new TcpCoalescer(), sink, [flow.Segment(0, Mss), flow.Segment(Mss, Mss), third]));
        Assert.Equal(2, sink.Writes.Count);
        Assert.Equal(third, sink.Writes[1].Packet);
    }

    [Fact]
    public void AShortSegment_EndsTheRun_AndTheNextFullOneStartsANewWrite()
    {
        var flow = new Flow(false, 40001, 5, 1);
        var packets = new List<byte[]>
        {
            flow.Segment(0, Mss), flow.Segment(Mss, Mss), flow.Segment(2 * Mss, 500),
            flow.Segment((2 * Mss) + 500, Mss), flow.Segment((3 * Mss) + 500, Mss),
        };
        var sink = new RecordingSink();
        Assert.Equal(5, Run(new TcpCoalescer(), sink, packets));
        Assert.Equal(2, sink.Writes.Count);
        Assert.Equal(flow.Data.AsSpan(0, (2 * Mss) + 500).ToArray(), TcpPayload(sink.Writes[0].Packet));
        Assert.Equal(Mss, sink.Writes[0].Header.GsoSize);
        Assert.Equal(flow.Data.AsSpan((2 * Mss) + 500, 2 * Mss).ToArray(), TcpPayload(sink.Writes[1].Packet));
        Assert.Equal(Mss, sink.Writes[1].Header.GsoSize);
        Assert.All(sink.Writes, w => AssertKernelAccepts(w.Packet));
    }

    [Fact]
    public void ALargerSegmentAfterASmallerFirst_IsNotMerged()
    {
        var flow = new Flow(false, 40001, 5, 1);
        var packets = new List<byte[]> { flow.Segment(0, 500), flow.Segment(500, Mss), flow.Segment(500 + Mss, Mss) };
        var sink = new RecordingSink();
        Assert.Equal(3, Run(new TcpCoalescer(), sink, packets));
        Assert.Equal(2, sink.Writes.Count);
        Assert.Equal(packets[0], sink.Writes[0].Packet);
        Assert.Equal(flow.Data.AsSpan(500, 2 * Mss).ToArray(), TcpPayload(sink.Writes[1].Packet));
    }

    [Fact]
    public void Psh_EndsTheRun()
    {
        var flow = new Flow(true, 40001, 5, 1);
        var packets = new List<byte[]>
        {
            flow.Segment(0, Mss), flow.Segment(Mss, Mss), flow.Segment(2 * Mss, Mss, Ack | Psh),
            flow.Segment(3 * Mss, Mss), flow.Segment(4 * Mss, Mss),
        };
        var sink = new RecordingSink();
        Assert.Equal(5, Run(new TcpCoalescer(), sink, packets));
        Assert.Equal(2, sink.Writes.Count);
        Assert.Equal(Ack | Psh, TcpFlags(sink.Writes[0].Packet));
        Assert.Equal(flow.Data.AsSpan(0, 3 * Mss).ToArray(), TcpPayload(sink.Writes[0].Packet));
        Assert.Equal(Ack, TcpFlags(sink.Writes[1].Packet));
        Assert.Equal(flow.Data.AsSpan(3 * Mss, 2 * Mss).ToArray(), TcpPayload(sink.Writes[1].Packet));
        Assert.All(sink.Writes, w => AssertKernelAccepts(w.Packet));
    }

    [Fact]
    public void MoreThan64Segments_AreSplitIntoTwoWrites()
    {
        const int Size = 500;
        var flow = new Flow(false, 40001, 5, 1);
        var packets = Enumerable.Range(0, 70).Select(k => flow.Segment(k * Size, Size)).ToList();
        var sink = new RecordingSink();
        var coalescer = new TcpCoalescer();
        Assert.Equal(70, Run(coalescer, sink, packets));
        Assert.Equal(2, sink.Writes.Count);
        Assert.Equal(flow.Data.AsSpan(0, 64 * Size).ToArray(), TcpPayload(sink.Writes[0].Packet));
        Assert.Equal(flow.Data.AsSpan(64 * Size, 6 * Size).ToArray(), TcpPayload(sink.Writes[1].Packet));
        Assert.Equal(2, coalescer.Merges);
        Assert.Equal(70, coalescer.MergedSegments);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ARunThatWouldPass64KiB_IsSplit(bool v6)
    {
        var flow = new Flow(v6, 40001, 5, 1);
        var packets = Enumerable.Range(0, 50).Select(k => flow.Segment(k * Mss, Mss)).ToList();
        var sink = new RecordingSink();
        Assert.Equal(50, Run(new TcpCoalescer(), sink, packets));
        Assert.Equal(2, sink.Writes.Count);
        var first = sink.Writes[0].Packet;
        var ip = v6 ? 40 : 20;

        // As many segments as keep the packet (IPv4 total length, IPv6 payload length) in 16 bits.
        var fit = (65535 - (v6 ? 32 : 52)) / Mss;
        Assert.True(first.Length - (v6 ? ip : 0) <= 65535);
        Assert.Equal(fit * Mss, TcpPayload(first).Length);
        Assert.Equal(flow.Data.AsSpan(0, 50 * Mss).ToArray(), TcpPayload(first).Concat(TcpPayload(sink.Writes[1].Packet)).ToArray());
        Assert.All(sink.Writes, w => AssertKernelAccepts(w.Packet));
    }

    [Fact]
    public void NonTcpPackets_PassThroughWithAnAllZeroHeader()
    {
        var flow = new Flow(false, 40001, 5, 1);
        var udp4 = Udp(false, RandomBytes(300, 1));
        var udp6 = Udp(true, RandomBytes(301, 2));
        var notIp = RandomBytes(60, 3);
        notIp[0] = 0x00;
        var packets = new List<byte[]> { flow.Segment(0, Mss), udp4, flow.Segment(Mss, Mss), udp6, notIp, flow.Segment(2 * Mss, Mss) };
        var sink = new RecordingSink();
        Assert.Equal(6, Run(new TcpCoalescer(), sink, packets));

        Assert.Equal(4, sink.Writes.Count);
        foreach (var plain in new[] { udp4, udp6, notIp })
        {
            var write = Assert.Single(sink.Writes, w => w.Packet.SequenceEqual(plain));
            Assert.Equal(new byte[VirtioNetHeader.Size], write.RawHeader);
        }

        var merged = Assert.Single(sink.Writes, w => w.Header.GsoType == VirtioNetHeader.GsoTcpV4);
        Assert.Equal(flow.Data.AsSpan(0, 3 * Mss).ToArray(), TcpPayload(merged.Packet));
    }

    [Fact]
    public void ASingleSegment_GoesWithAPlainHeader_Unchanged()
    {
        var flow = new Flow(true, 40001, 5, 1);
        var packet = flow.Segment(0, 700);
        var sink = new RecordingSink();
        Assert.Equal(1, Run(new TcpCoalescer(), sink, [packet]));
        var write = Assert.Single(sink.Writes);
        Assert.Equal(new byte[VirtioNetHeader.Size], write.RawHeader);
        Assert.Equal(packet, write.Packet);
    }

    [Fact]
    public void Ipv4Fragments_AreWrittenAsTheyCame()
    {
        var flow = new Flow(false, 40001, 5, 1);
        var fragment = flow.Segment(Mss, Mss);
        fragment[6] = 0x20; // more fragments
        fragment[10] = 0;
        fragment[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(fragment.AsSpan(10), (ushort)~RefSum(fragment.AsSpan(0, 20)));
        var sink = new RecordingSink();
        Assert.Equal(3, Run(new TcpCoalescer(), sink, [flow.Segment(0, Mss), fragment, flow.Segment(2 * Mss, Mss)]));
        Assert.Equal(3, sink.Writes.Count);
        Assert.Equal(fragment, sink.Writes[1].Packet);
        Assert.Equal(new byte[VirtioNetHeader.Size], sink.Writes[1].RawHeader);
    }

    [Fact]
    public void EmptySlots_AreSkipped()
    {
        var flow = new Flow(false, 40001, 5, 1);
        var packets = new List<byte[]> { flow.Segment(0, Mss), Array.Empty<byte>(), flow.Segment(Mss, Mss), Array.Empty<byte>() };
        var sink = new RecordingSink();
        Assert.Equal(2, Run(new TcpCoalescer(), sink, packets));
        var write = Assert.Single(sink.Writes);
        Assert.Equal(flow.Data.AsSpan(0, 2 * Mss).ToArray(), TcpPayload(write.Packet));
    }

    [Fact]
    public void ARefusingSink_MakesTheBatchReportFewerAccepted()
    {
        var flow = new Flow(false, 40001, 5, 1);
        var udp = Udp(false, RandomBytes(100, 1));
        var packets = new List<byte[]> { udp }.Concat(Enumerable.Range(0, 5).Select(k => flow.Segment(k * Mss, Mss))).ToList();

        var refuseMerged = new RecordingSink { Accept = h => h.GsoType == VirtioNetHeader.GsoNone };
        var coalescer = new TcpCoalescer();
        Assert.Equal(1, Run(coalescer, refuseMerged, packets));
        Assert.Equal(0, coalescer.Merges);

        var refusePlain = new RecordingSink { Accept = h => h.GsoType != VirtioNetHeader.GsoNone };
        Assert.Equal(5, Run(new TcpCoalescer(), refusePlain, packets));

        var refuseAll = new RecordingSink { Accept = _ => false };
        Assert.Equal(0, Run(new TcpCoalescer(), refuseAll, packets));
        Assert.Equal(2, refuseAll.Writes.Count);
    }

    [Fact]
    public void ManyFlows_RandomInterleavingAndDamage_EveryByteDeliveredOnceInFlowOrder()
    {
        var random = new Random(20261129);
        for (var round = 0; round < 60; round++)
        {
            var flows = Enumerable.Range(0, random.Next(1, 13)).Select(f => new Flow(f % 2 == 0, (ushort)(30000 + f), (uint)random.Next(), (round * 100) + f)).ToList();
            var offsets = new int[flows.Count];
            var expected = flows.Select(_ => new List<byte[]>()).ToList();
            var packets = new List<byte[]>();
            var count = random.Next(1, 120);
            for (var i = 0; i < count; i++)
            {
                var f = random.Next(flows.Count);
                var size = random.Next(10) == 0 ? random.Next(1, Mss) : Mss;
                var flags = random.Next(12) switch
                {
                    0 => (byte)(Ack | Psh),
                    1 => (byte)(Ack | Fin),
                    _ => Ack,
                };
                var skip = random.Next(15) == 0 ? 100 : 0;
                var checksum = random.Next(20) == 0 ? ChecksumMode.Broken : ChecksumMode.Full;
                offsets[f] += skip;
                var packet = flows[f].Segment(offsets[f], size, flags, checksum: checksum);
                offsets[f] += size;
                packets.Add(packet);
                expected[f].Add(packet);
            }

            var sink = new RecordingSink();
            Assert.Equal(count, Run(new TcpCoalescer(), sink, packets));

            for (var f = 0; f < flows.Count; f++)
            {
                var port = flows[f].Port;
                var written = sink.Writes.Where(w => SourcePort(w.Packet) == port).ToList();
                var want = expected[f].SelectMany(p => TcpPayload(p)).ToArray();
                var got = written.SelectMany(w => TcpPayload(w.Packet)).ToArray();
                Assert.True(want.SequenceEqual(got), $"round {round}, flow {f}: payload bytes differ or are out of order");
                foreach (var w in written)
                {
                    if (w.Header.GsoType != VirtioNetHeader.GsoNone)
                    {
                        AssertKernelAccepts(w.Packet);
                    }
                    else
                    {
                        // Written as it came, with a plain header: the kernel checks it.
                        Assert.Contains(expected[f], p => p.SequenceEqual(w.Packet));
                        Assert.Equal(0, w.Header.Flags);
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(false, 20_000, 1380)]
    [InlineData(true, 20_000, 1380)]
    [InlineData(false, 9_001, 1448)]
    [InlineData(true, 60_000, 1208)]
    public void RoundTrip_TsoSplitThenCoalesced_GivesTheOriginalBack(bool v6, int payloadLength, int gsoSize)
    {
        var payload = RandomBytes(payloadLength, payloadLength);
        var options = Timestamps(0xCAFE_0001, 0xBEEF_0002);
        var ip = v6 ? 40 : 20;
        var original = Tcp(v6, 0x0102_0304, AckNumber, Ack | Psh, options, payload, 0x2222, 45678, checksum: ChecksumMode.Partial);
        var segments = SuperPacketTests.Split(Tso(v6, gsoSize, ip + 32), original, SlotSize, 64);
        Assert.True(segments.Count > 1);

        var sink = new RecordingSink();
        Assert.Equal(segments.Count, Run(new TcpCoalescer(), sink, segments));

        var write = Assert.Single(sink.Writes);
        Assert.Equal(original, write.Packet);
        Assert.Equal(VirtioNetHeader.FlagNeedsChecksum, write.Header.Flags);
        Assert.Equal(v6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4, write.Header.GsoType);
        Assert.Equal(gsoSize, write.Header.GsoSize);
        Assert.Equal(ip + 32, write.Header.HeaderLength);
        Assert.Equal(ip, write.Header.ChecksumStart);
        Assert.Equal(16, write.Header.ChecksumOffset);
    }

    /// <summary>What the kernel does with a checksum-partial super-packet: a valid IPv4 header, the field holding the pseudo-header sum, and the checksum it completes is valid.</summary>
    private static void AssertKernelAccepts(byte[] packet)
    {
        var ip = IpHeaderLength(packet);
        if (!IsV6(packet))
        {
            Assert.Equal(packet.Length, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2)));
            Assert.True(Ipv4HeaderChecksumValid(packet), "IPv4 header checksum");
        }
        else
        {
            Assert.Equal(packet.Length - 40, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(4)));
        }

        Assert.Equal((ushort)RefPseudoOf(packet), TransportChecksumField(packet));
        var completed = packet.ToArray();
        var checksum = (ushort)~RefSum(completed.AsSpan(ip));
        BinaryPrimitives.WriteUInt16BigEndian(completed.AsSpan(ip + 16), checksum);
        Assert.True(TransportChecksumValid(completed), "completed TCP checksum");
    }

    private static int Run(TcpCoalescer coalescer, RecordingSink sink, List<byte[]> packets)
    {
        var buffer = new byte[packets.Count * SlotSize];
        var lengths = new int[packets.Count];
        for (var i = 0; i < packets.Count; i++)
        {
            packets[i].CopyTo(buffer, i * SlotSize);
            lengths[i] = packets[i].Length;
        }

        return coalescer.WriteBatch(buffer, SlotSize, lengths, sink);
    }

    /// <summary>One TCP flow: a fixed source port, a starting sequence number and a stream of random bytes.</summary>
    private sealed class Flow(bool v6, ushort port, uint isn, int seed)
    {
        public ushort Port { get; } = port;

        public uint Isn { get; } = isn;

        public byte[] Data { get; } = RandomBytes(200_000, seed);

        public byte[] Options { get; } = Timestamps(0x1111_1111, 0x2222_2222);

        public byte[] Segment(
            int offset,
            int length,
            byte flags = Ack,
            uint ack = AckNumber,
            byte[]? options = null,
            ushort id = 0x3333,
            ChecksumMode checksum = ChecksumMode.Full) =>
            Tcp(v6, unchecked(Isn + (uint)offset), ack, flags, options ?? Options, Data.AsSpan(offset, length), id, Port, checksum: checksum);
    }

    private sealed class RecordingSink : IVnetPacketSink
    {
        public List<(VirtioNetHeader Header, byte[] RawHeader, byte[] Packet)> Writes { get; } = [];

        public Func<VirtioNetHeader, bool> Accept { get; init; } = _ => true;

        public bool Write(ReadOnlySpan<byte> vnetHeader, ReadOnlySpan<byte> packet)
        {
            Assert.Equal(VirtioNetHeader.Size, vnetHeader.Length);
            var header = VirtioNetHeader.Read(vnetHeader);
            Writes.Add((header, vnetHeader.ToArray(), packet.ToArray()));
            return Accept(header);
        }
    }
}
