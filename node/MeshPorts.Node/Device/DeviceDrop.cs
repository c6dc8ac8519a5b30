namespace MeshPorts.Node.Device;

/// <summary>Why the device (as opposed to the protocol engine) dropped a packet.</summary>
internal enum DeviceDrop
{
    /// <summary>A packet from the TUN whose header is too short to route.</summary>
    MalformedOutbound,

    /// <summary>No peer's allowed IPs cover the destination.</summary>
    NoRoute,

    /// <summary>A decrypted packet that is not a well-formed IPv4/IPv6 packet.</summary>
    MalformedInbound,

    /// <summary>A decrypted packet whose source is outside the sending peer's allowed IPs.</summary>
    SourceNotAllowed,

    /// <summary>The kernel refused a packet written to the TUN.</summary>
    TunWriteFailed,

    /// <summary>The UDP socket refused a datagram.</summary>
    UdpSendFailed,

    /// <summary>The packet filter refused an outbound packet (a cut flow, or no state for a reply).</summary>
    FilteredOutbound,

    /// <summary>The packet filter refused an inbound packet: no rule or grant admits it, or its flow was cut.</summary>
    FilteredInbound,
}
