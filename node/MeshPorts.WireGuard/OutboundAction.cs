namespace MeshPorts.WireGuard;

public enum OutboundAction
{
    /// <summary>The datagram buffer holds an encrypted transport message for the endpoint.</summary>
    Send,

    /// <summary>Staged until a handshake completes; the engine sends it through the output.</summary>
    Queued,

    /// <summary>Rejected; see the reason.</summary>
    Drop,
}
