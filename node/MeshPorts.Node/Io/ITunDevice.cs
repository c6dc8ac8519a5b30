namespace MeshPorts.Node.Io;

/// <summary>
/// The device's view of a TUN interface: IP packets in and out, moved in batches so a faster
/// implementation (offloads, multi-queue) can slot in without touching the device.
/// </summary>
internal interface ITunDevice : IDisposable
{
    string Name { get; }

    int Mtu { get; }

    /// <summary>The offloads in use, for logs and status ("none", or e.g. "csum,tso4,tso6,uso4,uso6").</summary>
    string Offloads => "none";

    /// <summary>
    /// Blocks for at least one packet, then takes what else is ready, up to <c>lengths.Length</c>.
    /// Packet i is at <c>buffer[(i * slotSize)..]</c> with length <c>lengths[i]</c>; each is one
    /// wire-sized IP packet (an implementation with offloads cuts super-packets up first).
    /// Returns 0 once the device is closed.
    /// </summary>
    int ReadBatch(Span<byte> buffer, int slotSize, Span<int> lengths);

    /// <summary>
    /// Hands one packet to the kernel. Returns false when it was refused (full queue, link down): the
    /// packet is dropped rather than blocking the receive path.
    /// </summary>
    bool Write(ReadOnlySpan<byte> packet);

    /// <summary>
    /// Hands a batch to the kernel: packet i at <c>buffer[(i * slotSize)..]</c>, <c>lengths[i]</c> bytes
    /// (0 = no packet in that slot). An implementation with offloads may merge packets and rewrite
    /// their headers in the buffer. Returns how many packets the kernel accepted.
    /// </summary>
    int WriteBatch(Span<byte> buffer, int slotSize, ReadOnlySpan<int> lengths) => WriteEach(this, buffer, slotSize, lengths);

    /// <summary>The plain batch write: <see cref="Write"/> for each non-empty slot; returns how many were accepted.</summary>
    protected static int WriteEach(ITunDevice tun, ReadOnlySpan<byte> buffer, int slotSize, ReadOnlySpan<int> lengths)
    {
        var accepted = 0;
        for (var i = 0; i < lengths.Length; i++)
        {
            if (lengths[i] > 0 && tun.Write(buffer.Slice(i * slotSize, lengths[i])))
            {
                accepted++;
            }
        }

        return accepted;
    }
}
