using MeshPorts.Node.Io.Offload;

namespace MeshPorts.Fuzz.Targets;

/// <summary>
/// The GRO side: a batch of decrypted packets from peers (anything a peer encrypts) merged before the
/// TUN write. Input: the packets as <see cref="Frames"/>; byte 0's low bit makes the kernel refuse writes.
/// </summary>
internal static class TcpCoalesce
{
    private const int SlotSize = 2048;

    public static FuzzTarget Target { get; } = new(
        "tcp-coalesce",
        "a peer: decrypted packets written to the TUN in batches (node Io/Offload TcpCoalescer)",
        Run,
        Seeds);

    private static void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var packets = Frames.Split(data[1..], TcpCoalescer.MaxSegments);
        var buffer = new byte[packets.Count * SlotSize];
        var lengths = new int[packets.Count];
        for (var i = 0; i < packets.Count; i++)
        {
            var length = Math.Min(packets[i].Length, SlotSize);
            packets[i].AsSpan(0, length).CopyTo(buffer.AsSpan(i * SlotSize));
            lengths[i] = length;
        }

        new TcpCoalescer().WriteBatch(buffer, SlotSize, lengths, new Sink((data[0] & 1) != 0));
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        byte[] Segment(uint sequence, byte flags, int payload) =>
            SeedPackets.Tcp(SeedPackets.Remote4, SeedPackets.Local4, 443, 40000, sequence, flags, payload);
        byte[] Segment6(uint sequence, byte flags, int payload) =>
            SeedPackets.Tcp(SeedPackets.Remote6, SeedPackets.Local6, 443, 40000, sequence, flags, payload);
        yield return ("three-in-order", [0, .. Frames.Join(Segment(1, SeedPackets.Ack, 1000), Segment(1001, SeedPackets.Ack, 1000), Segment(2001, SeedPackets.Ack | SeedPackets.Psh, 500))]);
        yield return ("ipv6-pair", [0, .. Frames.Join(Segment6(7, SeedPackets.Ack, 1200), Segment6(1207, SeedPackets.Ack, 1200))]);
        yield return ("gap-and-other", [0, .. Frames.Join(Segment(1, SeedPackets.Ack, 100), Segment(500, SeedPackets.Ack, 100), SeedPackets.Udp(SeedPackets.Remote4, SeedPackets.Local4, 1, 2, 10), Segment(1, SeedPackets.Syn, 0))]);
        yield return ("refused", [1, .. Frames.Join(Segment(1, SeedPackets.Ack, 1000), Segment(1001, SeedPackets.Ack, 1000))]);
    }

    private sealed class Sink(bool refuse) : IVnetPacketSink
    {
        public bool Write(ReadOnlySpan<byte> vnetHeader, ReadOnlySpan<byte> packet) => !refuse;
    }
}
