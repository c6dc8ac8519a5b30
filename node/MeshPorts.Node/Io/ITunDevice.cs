namespace MeshPorts.Node.Io;

/// <summary>
/// The device's view of a TUN interface: IP packets in and out, moved in batches so a faster
/// implementation (offloads, multi-queue) can slot in without touching the device.
/// </summary>
internal interface ITunDevice : IDisposable
{
    string Name { get; }

    int Mtu { get; }

    /// <summary>
    /// Blocks for at least one packet, then takes what else is ready, up to <c>lengths.Length</c>.
    /// Packet i is at <c>buffer[(i * slotSize)..]</c> with length <c>lengths[i]</c>.
    /// Returns 0 once the device is closed.
    /// </summary>
    int ReadBatch(Span<byte> buffer, int slotSize, Span<int> lengths);

    /// <summary>
    /// Hands one packet to the kernel. Returns false when it was refused (full queue, link down): the
    /// packet is dropped rather than blocking the receive path.
    /// </summary>
    bool Write(ReadOnlySpan<byte> packet);
}
