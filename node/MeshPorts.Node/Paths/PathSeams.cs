using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Paths;

// The seams between the device's path management (Device/, Paths/) and the relay and discovery clients
// (Relay/, Discovery/). docs/nat.md says what goes through each.

/// <summary>How a relayed datagram travels between this node and the relay.</summary>
internal enum RelayTransport
{
    None,
    Udp,
    Tls,
}

/// <summary>
/// The relay client as the device uses it (implemented in Relay/). Thread-safe: called from the
/// device's send thread, its UDP receive thread and the timer thread.
/// </summary>
internal interface IRelayLink
{
    /// <summary>
    /// Sends one WireGuard datagram to the peer through the peer's home relay: as a UDP relay frame when
    /// that relay's UDP session answers, else on its TLS stream. False when no relay can take it now.
    /// </summary>
    bool Send(string peerNodeId, ReadOnlySpan<byte> datagram);

    /// <summary>What a <see cref="Send"/> to this peer would use now (None: no relay reaches it).</summary>
    RelayTransport TransportFor(string peerNodeId);

    /// <summary>Which relay (RelayServer.id) and underlay address a Send to this peer goes to, for status; null when none.</summary>
    (string RelayId, string Endpoint)? RouteFor(string peerNodeId);

    /// <summary>
    /// Takes a datagram that arrived on the WireGuard socket and starts with the relay frame marker
    /// (0xF2). True when it came from one of this node's relays (it is consumed, good or bad: a bad one
    /// is counted); false when the source is no relay of ours.
    /// </summary>
    bool TryHandleUdpFrame(ReadOnlySpan<byte> frame, in PeerEndpoint source);
}

/// <summary>Where datagrams the relay delivers enter the device (implemented by the device).</summary>
internal interface IRelayedInbound
{
    /// <summary>One WireGuard datagram from <paramref name="fromNodeId"/>, through <paramref name="relayId"/>.</summary>
    void ReceiveRelayed(string fromNodeId, string relayId, ReadOnlySpan<byte> datagram);
}

/// <summary>The device's WireGuard UDP socket, for STUN and UDP relay frames: the NAT mapping they open is the one peers use.</summary>
internal interface IUnderlaySender
{
    bool SendUnderlay(ReadOnlySpan<byte> datagram, in PeerEndpoint destination);
}

/// <summary>STUN responses arriving on the WireGuard socket (implemented in Discovery/).</summary>
internal interface IStunSink
{
    /// <summary>True when the datagram answered one of our requests (consumed); false to let the device count it as a drop.</summary>
    bool TryHandleStun(ReadOnlySpan<byte> datagram, in PeerEndpoint source);
}

/// <summary>Asks the coordinator to have a peer probe this node now (implemented by the agent's coordinator link).</summary>
internal interface ICallMeSender
{
    /// <summary>Fire and forget; failures are logged at debug and retried by the next probe round.</summary>
    void RequestCallMe(string peerNodeId);
}

/// <summary>How this node reaches one peer now, for status and for the coordinator's report.</summary>
/// <param name="Path">"direct", "relay" or "none".</param>
/// <param name="Endpoint">Direct: the peer's IP:PORT. Relay: the relay's UDP IP:PORT or its URL.</param>
/// <param name="RelayId">The relay's id when relayed, else null.</param>
/// <param name="Transport">"udp" or "tls" when relayed, else null.</param>
/// <param name="RoundTrip">Last measured probe round trip on the direct path, if any.</param>
internal sealed record PeerPathStatus(string PeerNodeId, string Path, string? Endpoint, string? RelayId, string? Transport, TimeSpan? RoundTrip);

/// <summary>
/// Probe datagrams (first byte 0xF1) arriving on the WireGuard socket (implemented by the path manager in
/// Paths/, called by the device's receive loop).
/// </summary>
internal interface IProbeSink
{
    /// <summary>Consumes the datagram, good or bad (a bad one is counted by the path manager).</summary>
    void HandleProbe(ReadOnlySpan<byte> datagram, in PeerEndpoint source);
}

/// <summary>
/// How the path manager moves a mesh peer between paths (implemented by the device). With path
/// management on (<c>DeviceOptions.PathManaged</c>), a mesh peer's endpoint changes only through these:
/// candidates in the netmap and roaming do not move it.
/// </summary>
internal interface IPeerPathControl
{
    /// <summary>Datagrams to the peer go to this underlay address from now on. False when the peer is not on the device.</summary>
    bool UseDirect(string peerNodeId, in PeerEndpoint endpoint);

    /// <summary>Datagrams to the peer go through <see cref="IRelayLink"/> from now on (its virtual 100::/64 endpoint). False when the peer is not on the device.</summary>
    bool UseRelay(string peerNodeId);
}

/// <summary>One mesh peer as the path manager and the relay client need it (from the applied netmap).</summary>
/// <param name="NodeId">The peer's node id.</param>
/// <param name="PublicKey">Its current WireGuard static key (probes are keyed by it).</param>
/// <param name="PreviousKey">Its key before the latest rotation, while probes under it are still taken; null when none.</param>
/// <param name="Candidates">Its underlay candidates, in the coordinator's order (enrolled endpoints first).</param>
/// <param name="HomeRelay">The id of the relay the peer is reachable at (RelayServer.id), or null.</param>
internal sealed record PathPeer(
    string NodeId,
    MeshPorts.WireGuard.Keys.WgKey PublicKey,
    MeshPorts.WireGuard.Keys.WgKey? PreviousKey,
    IReadOnlyList<PeerEndpoint> Candidates,
    string? HomeRelay);
