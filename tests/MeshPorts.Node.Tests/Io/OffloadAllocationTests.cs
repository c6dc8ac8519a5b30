using System.Buffers.Binary;
using MeshPorts.Native.Linux;
using MeshPorts.Node.Io.Offload;

namespace MeshPorts.Node.Tests.Io;

/// <summary>
/// The offload paths run once per 64 KiB on every busy tunnel: cutting a TSO super-packet and merging
/// the segments again must not allocate, or a fast stream would keep the GC busy.
/// </summary>
public sealed class OffloadAllocationTests
{
    private const int Slot = 2048;

    [Fact]
    public void SplitAndCoalesce_SteadyState_AllocateNothing()
    {
        var raw = TsoPacket(payload: 64_000, segmentSize: 1380);
        var header = VirtioNetHeader.Read(raw);
        var slots = new byte[64 * Slot];
        var lengths = new int[64];
        var coalescer = new TcpCoalescer();
        var sink = new CountingSink();

        var accepted = RunOnce(raw, header, slots, lengths, coalescer, sink); // warm up (JIT, statics)
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 200; i++)
        {
            accepted += RunOnce(raw, header, slots, lengths, coalescer, sink);
        }

        // No assertion inside the measured loop: xunit's own asserts allocate.
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(201 * 47, accepted);

        // And the work was real: 47 segments per round, merged back into one write each time.
        Assert.Equal(201, sink.Writes);
        Assert.Equal(201 * 47L, coalescer.MergedSegments);
    }

    // Returns the packets the sink accepted, or -1 if the split did not go as planned.
    private static int RunOnce(byte[] raw, VirtioNetHeader header, byte[] slots, int[] lengths, TcpCoalescer coalescer, CountingSink sink)
    {
        var packet = raw.AsSpan(VirtioNetHeader.Size);
        var split = default(SuperPacket);
        if (!split.TryStart(header, packet, Slot))
        {
            return -1;
        }

        var count = split.WriteSegments(packet, slots, Slot, lengths);
        return split.IsDone ? coalescer.WriteBatch(slots, Slot, lengths.AsSpan(0, count), sink) : -1;
    }

    // An IPv4 TCP super-packet as a TUN with TSO hands it over: virtio header, 20-byte IP and TCP headers.
    private static byte[] TsoPacket(int payload, int segmentSize)
    {
        const int Headers = 40;
        var raw = new byte[VirtioNetHeader.Size + Headers + payload];
        new VirtioNetHeader
        {
            Flags = VirtioNetHeader.FlagNeedsChecksum,
            GsoType = VirtioNetHeader.GsoTcpV4,
            HeaderLength = Headers,
            GsoSize = (ushort)segmentSize,
            ChecksumStart = 20,
            ChecksumOffset = 16,
        }.Write(raw);
        var ip = raw.AsSpan(VirtioNetHeader.Size);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)Math.Min(ip.Length, 65535));
        ip[6] = 0x40; // DF
        ip[8] = 64;
        ip[9] = 6;
        ip[12..16].Fill(10);
        ip[15] = 1;
        ip[16..20].Fill(10);
        ip[19] = 2;
        var tcp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 5201);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 1000);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], 77);
        tcp[12] = 5 << 4;
        tcp[13] = 0x18; // ACK|PSH
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 502);
        for (var i = 0; i < payload; i++)
        {
            ip[Headers + i] = (byte)(i * 7);
        }

        return raw;
    }

    private sealed class CountingSink : IVnetPacketSink
    {
        public int Writes { get; private set; }

        public bool Write(ReadOnlySpan<byte> vnetHeader, ReadOnlySpan<byte> packet)
        {
            Writes++;
            return true;
        }
    }
}
