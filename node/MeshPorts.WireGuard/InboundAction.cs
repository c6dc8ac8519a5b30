namespace MeshPorts.WireGuard;

public enum InboundAction
{
    /// <summary>Handled inside the engine (handshake, cookie, keepalive); nothing for the TUN.</summary>
    None,

    /// <summary>The plaintext buffer holds an IP packet (still padded) for the TUN.</summary>
    WriteToTun,

    /// <summary>Rejected; see the reason.</summary>
    Drop,
}
