using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Benchmarks.Support;

/// <summary>
/// The engine's datagram sink. While <see cref="Keep"/> is on (setup) datagrams are copied and queued
/// so a handshake can be pumped; while off (measurement) they are only counted, so the sink itself
/// allocates nothing and a non-zero <see cref="Discarded"/> shows the engine emitted something
/// unexpected in steady state.
/// </summary>
internal sealed class CapturingOutput : IEngineOutput
{
    public bool Keep { get; set; } = true;

    public Queue<(PeerEndpoint To, byte[] Data)> Queue { get; } = new();

    public long Discarded { get; private set; }

    public void SendDatagram(PeerEndpoint destination, ReadOnlySpan<byte> datagram)
    {
        if (Keep)
        {
            Queue.Enqueue((destination, datagram.ToArray()));
        }
        else
        {
            Discarded++;
        }
    }
}
