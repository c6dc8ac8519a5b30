using MeshPorts.Node.Filter;
using MeshPorts.WireGuard;

namespace MeshPorts.Node.Device;

/// <summary>
/// One data-plane thread's scratch space for the TCP resets the packet filter writes when it cuts a
/// flow, allocated once per thread so that judging packets never allocates.
/// </summary>
internal sealed class FilterResets
{
    /// <summary>The reset for the local application, written to the TUN.</summary>
    public byte[] ToTun { get; } = new byte[PacketFilter.ResetBufferSize];

    /// <summary>The reset for the remote end, encrypted to the peer.</summary>
    public byte[] ToPeer { get; } = new byte[PacketFilter.ResetBufferSize];

    /// <summary>Room for <see cref="ToPeer"/> once encrypted.</summary>
    public byte[] Datagram { get; } = new byte[PacketFilter.ResetBufferSize + WireGuardEngine.MessageOverhead + 16];
}
