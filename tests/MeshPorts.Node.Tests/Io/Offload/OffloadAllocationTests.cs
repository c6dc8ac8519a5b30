using MeshPorts.Native.Linux;
using MeshPorts.Node.Io.Offload;
using static MeshPorts.Node.Tests.Io.Offload.OffloadPackets;

namespace MeshPorts.Node.Tests.Io.Offload;

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
        // An IPv4 TCP super-packet as a TUN with TSO hands it over, its checksum left partial.
        var packet = Tcp(v6: false, sequence: 1000, acknowledgment: 77, flags: 0x18, options: [], payload: RandomBytes(64_000, seed: 7), checksum: ChecksumMode.Partial);
        var header = Tso(v6: false, gsoSize: 1380, headerLength: 40);
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
            accepted += RunOnce(packet, header, slots, lengths, coalescer, sink);
        }

        var windows = new List<long>();
        for (var window = 0; window < 5 && (windows.Count == 0 || windows[^1] != 0); window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 200; i++)
            {
                // No assertion inside the measured loop: xunit's own asserts allocate.
                accepted += RunOnce(packet, header, slots, lengths, coalescer, sink);
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
    private static int RunOnce(byte[] packet, VirtioNetHeader header, byte[] slots, int[] lengths, TcpCoalescer coalescer, CountingSink sink)
    {
        var split = default(SuperPacket);
        if (!split.TryStart(header, packet, Slot))
        {
            return -1;
        }

        var count = split.WriteSegments(packet, slots, Slot, lengths);
        return split.IsDone ? coalescer.WriteBatch(slots, Slot, lengths.AsSpan(0, count), sink) : -1;
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
