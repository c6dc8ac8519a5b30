using MeshPorts.Native.Linux;
using MeshPorts.Node.Io.Offload;

namespace MeshPorts.Fuzz.Targets;

/// <summary>
/// The TSO/USO super-packet splitter, fed what the TUN hands up: a virtio_net_hdr and a packet any local
/// program can write through the overlay route (LinuxTunDevice's read path). Input: the 10-byte header,
/// then the packet.
/// </summary>
internal static class OffloadSplit
{
    // A wire-sized slot, as the device sizes them for a 1420-byte MTU and more.
    private const int SlotSize = 1500;

    public static FuzzTarget Target { get; } = new(
        "offload-split",
        "a local program: packets into the TUN with offloads (node Io/Offload SuperPacket)",
        Run,
        Seeds);

    private static void Run(ReadOnlySpan<byte> data)
    {
        if (data.Length <= VirtioNetHeader.Size)
        {
            return;
        }

        var packet = data[VirtioNetHeader.Size..].ToArray();
        var pending = default(SuperPacket);
        if (!pending.TryStart(VirtioNetHeader.Read(data), packet, SlotSize))
        {
            return;
        }

        var slots = new byte[SlotSize * 4];
        var lengths = new int[4];
        // 64 KiB in 1-byte segments is the most a super-packet can be cut into.
        for (var round = 0; !pending.IsDone; round++)
        {
            if (round > 65536 || pending.WriteSegments(packet, slots, SlotSize, lengths) == 0 && !pending.IsDone)
            {
                throw new InvalidOperationException("the splitter stopped making progress");
            }
        }

    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        var tcp4 = SeedPackets.Tcp(SeedPackets.Local4, SeedPackets.Remote4, 40000, 443, 1, SeedPackets.Ack | SeedPackets.Psh, 4000);
        var tcp6 = SeedPackets.Tcp(SeedPackets.Local6, SeedPackets.Remote6, 40000, 443, 1, SeedPackets.Ack, 3000);
        var udp4 = SeedPackets.Udp(SeedPackets.Local4, SeedPackets.Remote4, 5000, 53, 2900);
        var plain = SeedPackets.Udp(SeedPackets.Local4, SeedPackets.Remote4, 5000, 53, 100);
        yield return ("tso4", [.. Header(VirtioNetHeader.GsoTcpV4, 1400, 1), .. tcp4]);
        yield return ("tso6", [.. Header(VirtioNetHeader.GsoTcpV6, 1000, 1), .. tcp6]);
        yield return ("uso4", [.. Header(VirtioNetHeader.GsoUdpL4, 1200, 1), .. udp4]);
        yield return ("plain-partial-checksum", [.. Header(VirtioNetHeader.GsoNone, 0, 1), .. plain]);
        yield return ("plain", [.. Header(VirtioNetHeader.GsoNone, 0, 0), .. plain]);
    }

    private static byte[] Header(byte gso, ushort segment, byte flags)
    {
        var bytes = new byte[VirtioNetHeader.Size];
        new VirtioNetHeader { Flags = flags, GsoType = gso, GsoSize = segment, HeaderLength = 40, ChecksumStart = 20, ChecksumOffset = gso == VirtioNetHeader.GsoUdpL4 ? (ushort)6 : (ushort)16 }.Write(bytes);
        return bytes;
    }
}
