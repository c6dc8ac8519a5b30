namespace MeshPorts.Integration.Tests.Harness.Nat;

/// <summary>How a <see cref="NatSite"/>'s router rewrites what leaves its LAN.</summary>
internal enum NatKind
{
    /// <summary>
    /// nft `masquerade`: Linux keeps the LAN source port as the public port whenever it is free, the
    /// home-router behaviour hole punching relies on (endpoint-independent mapping).
    /// </summary>
    PortPreserving,

    /// <summary>
    /// nft `masquerade fully-random`: every new destination gets a random public port, a symmetric
    /// NAT (endpoint-dependent mapping), so a port learned from one server is useless to another peer.
    /// </summary>
    Symmetric,
}
