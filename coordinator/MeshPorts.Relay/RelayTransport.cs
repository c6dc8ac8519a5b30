namespace MeshPorts.Relay;

/// <summary>How a datagram left the relay: a UDP relay frame, or a Received frame on the node's TLS stream.</summary>
public enum RelayTransport
{
    Udp,
    Tls,
}
