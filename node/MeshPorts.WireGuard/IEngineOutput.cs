using MeshPorts.WireGuard.Net;

namespace MeshPorts.WireGuard;

/// <summary>
/// Where the engine puts datagrams it originates (handshakes, cookie replies, keepalives, flushed staged
/// packets). It is called while the engine holds a peer lock, so an implementation must not call back
/// into the engine synchronously (queue the datagram or send it on a socket instead).
/// </summary>
public interface IEngineOutput
{
    /// <summary>Sends one UDP payload. The span is only valid during the call.</summary>
    void SendDatagram(PeerEndpoint destination, ReadOnlySpan<byte> datagram);
}
