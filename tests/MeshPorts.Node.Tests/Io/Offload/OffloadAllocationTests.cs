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

        // Warm up past tiered compilation; the runtime may still allocate once while it swaps code in,
        // so steady state means one of five 200-round windows allocating nothing. A real per-packet
        // allocation shows up in every window.
        var accepted = 0L;
        for (var i = 0; i < 2_000; i++)
        {
            accepted += RunOnce(raw, header, slots, lengths, coalescer, sink);
        }

        var windows = new List<long>();
        for (var window = 0; window < 5 && (windows.Count == 0 || windows[^1] != 0); window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 200; i++)
            {
                // No assertion inside the measured loop: xunit's own asserts allocate.
                accepted += RunOnce(raw, header, slots, lengths, coalescer, sink);
            }

            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(windows[^1] == 0, $"bytes allocated per 200 rounds: {string.Join(", ", windows)}");

        // And the work was real: 47 segments per round, merged back into one write each time.
        var rounds = 2_000 + (200 * windows.Count);
        Assert.Equal(rounds * 47L, accepted);
        Assert.Equal(rounds, sink.Writes);
        Assert.Equal(rounds * 47L, coalescer.MergedSegments);
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
