using MeshPorts.WireGuard.Net;

namespace MeshPorts.WireGuard;

/// <summary>Where the engine puts datagrams it originates (handshakes, cookie replies, keepalives, flushed staged packets).</summary>
public interface IEngineOutput
{
    /// <summary>Sends one UDP payload. The span is only valid during the call.</summary>
    void SendDatagram(PeerEndpoint destination, ReadOnlySpan<byte> datagram);
}
