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

    /// <summary>A datagram on the WireGuard socket that is no WireGuard message, probe, relay frame or STUN (or is too short to be one).</summary>
    UnrecognizedDatagram,

    /// <summary>A probe (0xF1) while no path manager takes probes.</summary>
    ProbeNotHandled,

    /// <summary>A relay frame (0xF2) that did not come from one of this node's relays, or while there is no relay client.</summary>
    RelayFrameNotFromRelay,

    /// <summary>A STUN message that answers none of this node's requests, or while discovery is off.</summary>
    StunNotHandled,

    /// <summary>A datagram for a relayed peer that the relay client could not take (no relay reaches the peer now).</summary>
    RelaySendFailed,

    /// <summary>A datagram the relay delivered from a node that is no mesh peer here, or that decrypted as another peer's.</summary>
    RelayedFromNonPeer,

    /// <summary>A datagram on the socket from 100::/64, where only virtual relay endpoints live: it could make a peer look relayed.</summary>
    VirtualSourceOnSocket,
}
