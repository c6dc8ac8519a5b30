namespace MeshPorts.Node.Relay;

/// <summary>Why the relay client dropped a frame or a datagram (docs/nat.md "Counters").</summary>
internal enum RelayDrop
{
    /// <summary>A UDP relay frame whose layout did not parse.</summary>
    Malformed,

    /// <summary>A UDP relay frame whose tag did not check with the session key.</summary>
    BadTag,

    /// <summary>A UDP relay frame whose counter was already seen or is older than the window.</summary>
    Replay,

    /// <summary>A UDP relay frame naming a session that is not the relay's current one (or none yet).</summary>
    UnknownSession,

    /// <summary>A relay frame (0xF2) from an address that is no relay of ours.</summary>
    UnknownSource,

    /// <summary>A frame kind a relay never sends to a node (a keepalive request).</summary>
    UnexpectedKind,

    /// <summary>A datagram from a node that is not a current peer.</summary>
    UnknownPeer,

    /// <summary>A send to a peer with no home relay, or whose relay is not connected.</summary>
    NoRelay,

    /// <summary>A send the TLS stream's queue had no room for.</summary>
    QueueFull,

    /// <summary>A datagram too large for the relay protocol (over 65,535 bytes) or an over-long peer id.</summary>
    Oversized,
}
