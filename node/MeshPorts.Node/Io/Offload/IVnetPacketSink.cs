namespace MeshPorts.Node.Io.Offload;

/// <summary>Where <see cref="TcpCoalescer"/> puts packets: a virtio_net_hdr and the packet behind it.</summary>
internal interface IVnetPacketSink
{
    /// <summary>Writes one packet; false when the kernel refused it (it is dropped).</summary>
    bool Write(ReadOnlySpan<byte> vnetHeader, ReadOnlySpan<byte> packet);
}
