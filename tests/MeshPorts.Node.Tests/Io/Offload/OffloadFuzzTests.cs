using System.Buffers.Binary;
using MeshPorts.Native.Linux;
using MeshPorts.Node.Io.Offload;

namespace MeshPorts.Node.Tests.Io.Offload;

/// <summary>
/// Whatever the kernel or a peer hands the offload code, it drops or passes packets; it never throws
/// and never writes a segment larger than its slot.
/// </summary>
public sealed class OffloadFuzzTests
{
    private const int Slot = 2048;

    [Fact]
    public void SuperPacket_RandomHeadersAndBytes_NeverThrowsOrOverflowsASlot()
    {
        var random = new Random(5150);
        var slots = new byte[4 * Slot];
        var lengths = new int[4];
        int started = 0, segments = 0;
        for (var round = 0; round < 20_000; round++)
        {
            var packet = RandomPacket(random);
            var header = new VirtioNetHeader
            {
                Flags = (byte)random.Next(4),
                GsoType = (byte)(random.Next(8) == 0 ? random.Next(256) : random.Next(6)),
                HeaderLength = (ushort)random.Next(100),
                GsoSize = (ushort)(random.Next(4) == 0 ? random.Next(65536) : random.Next(1, 1500)),
                ChecksumStart = (ushort)random.Next(80),
                ChecksumOffset = (ushort)random.Next(24),
            };
            var split = default(SuperPacket);
            if (!split.TryStart(header, packet, Slot))
            {
                continue;
            }

            started++;
            for (var calls = 0; !split.IsDone; calls++)
            {
                Assert.True(calls < 100_000, "segmentation does not finish");
                var n = split.WriteSegments(packet, slots, Slot, lengths.AsSpan(0, 1 + random.Next(4)));
                for (var i = 0; i < n; i++)
                {
                    Assert.InRange(lengths[i], 1, Slot);
                }

                segments += n;
            }
        }

        // The generator must reach the segmenting code, or this test proves nothing.
        Assert.True(started > 1000, $"only {started} packets were accepted");
        Assert.True(segments > started, $"{segments} segments from {started} packets");
    }

    [Fact]
    public void TcpCoalescer_RandomBatches_NeverThrowsAndWritesEveryPacketOnce()
    {
        var random = new Random(8086);
        var coalescer = new TcpCoalescer();
        var sink = new CountingSink();
        var slots = new byte[64 * Slot];
        var lengths = new int[64];
        for (var round = 0; round < 2_000; round++)
        {
            var count = 1 + random.Next(64);
            for (var i = 0; i < count; i++)
            {
                var packet = RandomPacket(random);
                var length = Math.Min(packet.Length, Slot);
                packet.AsSpan(0, length).CopyTo(slots.AsSpan(i * Slot));
                lengths[i] = random.Next(10) == 0 ? 0 : length;
            }

            var expected = 0;
            for (var i = 0; i < count; i++)
            {
                expected += lengths[i] > 0 ? 1 : 0;
            }

            sink.Packets = 0;
            Assert.Equal(expected, coalescer.WriteBatch(slots, Slot, lengths.AsSpan(0, count), sink));
            Assert.True(sink.Packets <= expected);
        }
    }

    // Mostly plausible IPv4/IPv6 TCP/UDP packets (so the deep paths run), with random damage.
    private static byte[] RandomPacket(Random random)
    {
        var ipv6 = random.Next(2) == 0;
        var ip = ipv6 ? 40 : 20 + (random.Next(8) == 0 ? 4 * random.Next(11) : 0);
        var tcp = random.Next(3) != 0;
        var transport = tcp ? 20 + (4 * random.Next(11)) : 8;
        var payload = random.Next(6) == 0 ? random.Next(70_000) : random.Next(3000);
        var packet = new byte[Math.Min(ip + transport + payload, 65535)];
        random.NextBytes(packet);
        if (random.Next(10) == 0 || packet.Length < ip + transport)
        {
            return packet; // pure noise
        }

        packet[0] = (byte)(ipv6 ? 0x60 : 0x40 | (ip / 4));
        if (ipv6)
        {
            packet[6] = tcp ? (byte)6 : (byte)17;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)Math.Min(packet.Length - 40, 65535));
        }
        else
        {
            packet[9] = tcp ? (byte)6 : (byte)17;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            packet[6] = (byte)(random.Next(4) == 0 ? packet[6] : 0x40);
        }

        if (tcp)
        {
            packet[ip + 12] = (byte)((transport / 4) << 4);
            packet[ip + 13] = random.Next(3) == 0 ? packet[ip + 13] : (byte)0x10;
        }

        return packet;
    }

    private sealed class CountingSink : IVnetPacketSink
    {
        public int Packets { get; set; }

        public bool Write(ReadOnlySpan<byte> vnetHeader, ReadOnlySpan<byte> packet)
        {
            Assert.Equal(VirtioNetHeader.Size, vnetHeader.Length);
            Packets++;
            return true;
        }
    }
}
