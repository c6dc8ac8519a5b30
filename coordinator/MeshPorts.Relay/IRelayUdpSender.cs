using System.Net;

namespace MeshPorts.Relay;

/// <summary>Sends one datagram from the relay's UDP socket; best effort, must not throw for an unreachable destination.</summary>
public interface IRelayUdpSender
{
    void Send(ReadOnlySpan<byte> datagram, IPEndPoint destination);
}
