namespace MeshPorts.Node.Device;

/// <summary>What a datagram on the WireGuard socket is, told apart by its first bytes (docs/nat.md, Wire formats).</summary>
internal enum UnderlayKind
{
    /// <summary>None of the below: dropped and counted.</summary>
    Unrecognized,

    /// <summary>Type 1 to 4 followed by three zero bytes.</summary>
    WireGuard,

    /// <summary>0xF1: a path probe (ping or pong).</summary>
    Probe,

    /// <summary>0xF2: a UDP relay frame.</summary>
    RelayFrame,

    /// <summary>Top two bits zero, the magic cookie at offset 4, at least a STUN header long.</summary>
    Stun,
}
