using System.Collections.Concurrent;
using MeshPorts.Node.Paths;
using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Device;

/// <summary>
/// The device's side of path management (docs/nat.md, Paths): the sinks for the non-WireGuard datagrams
/// on its socket, the relay slots, and the switch between direct and relayed endpoints.
/// </summary>
internal sealed partial class Device : IUnderlaySender, IRelayedInbound, IPeerPathControl
{
    // Looked up on every relayed datagram, from the send, receive and relay threads; changed under _configLock.
    private readonly ConcurrentDictionary<uint, RelayedPeer> _relayBySlot = new();
    private readonly ConcurrentDictionary<string, RelayedPeer> _relayByNode = new(StringComparer.Ordinal);

    // Under _configLock. Kept after a peer goes, so a peer that comes back gets its slot back.
    private readonly Dictionary<string, uint> _slotOfNode = new(StringComparer.Ordinal);
    private uint _lastSlot;

    private IProbeSink? _probeSink;
    private IRelayLink? _relayLink;
    private IStunSink? _stunSink;

    /// <summary>Takes probes (0xF1) from the socket; set once. Until then, and if never, probes are dropped and counted.</summary>
    public IProbeSink? ProbeSink
    {
        get => Volatile.Read(ref _probeSink);
        set => SetOnce(ref _probeSink, value);
    }

    /// <summary>Carries datagrams to relayed peers and takes relay frames (0xF2); set once. Until then both are dropped and counted.</summary>
    public IRelayLink? RelayLink
    {
        get => Volatile.Read(ref _relayLink);
        set => SetOnce(ref _relayLink, value);
    }

    /// <summary>Takes STUN answers from the socket; set once. Until then STUN is dropped and counted.</summary>
    public IStunSink? StunSink
    {
        get => Volatile.Read(ref _stunSink);
        set => SetOnce(ref _stunSink, value);
    }

    /// <summary>Sends from the WireGuard socket, so the NAT mapping STUN and relay frames open is the one peers use.</summary>
    public bool SendUnderlay(ReadOnlySpan<byte> datagram, in PeerEndpoint destination)
    {
        // A virtual relay endpoint is no address: never let one reach the socket.
        if (!destination.IsSet || RelayEndpoints.IsVirtual(destination) || _udp is not { } udp)
        {
            _counters.Drop(DeviceDrop.UdpSendFailed);
            return false;
        }

        if (!udp.Send(datagram, destination))
        {
            _counters.Drop(DeviceDrop.UdpSendFailed);
            return false;
        }

        return true;
    }

    /// <summary>
    /// A datagram the relay delivered from <paramref name="fromNodeId"/>: it enters the engine with that peer's
    /// virtual endpoint as its source, then meets the same source check and filter as one from the socket.
    /// Thread-safe; may be called from inside the device's own receive loop (a UDP relay frame).
    /// </summary>
    public void ReceiveRelayed(string fromNodeId, string relayId, ReadOnlySpan<byte> datagram)
    {
        if (fromNodeId is null || !_relayByNode.TryGetValue(fromNodeId, out var relayed))
        {
            _counters.Drop(DeviceDrop.RelayedFromNonPeer);
            return;
        }

        if (UnderlayDemux.Classify(datagram) != UnderlayKind.WireGuard)
        {
            _counters.Drop(DeviceDrop.UnrecognizedDatagram);
            return;
        }

        relayed.AddRx(datagram.Length);
        var scratch = RelayedScratch.Take(Math.Max(SlotSize, datagram.Length));
        try
        {
            var length = OpenDatagram(datagram, relayed.Endpoint, scratch.Plaintext, scratch.Resets, relayed.NodeId);
            if (length > 0 && !_tun.Write(scratch.Plaintext.AsSpan(0, length)))
            {
                _counters.Drop(DeviceDrop.TunWriteFailed);
            }
        }
        finally
        {
            RelayedScratch.Return(scratch);
        }
    }

    /// <summary>From now on datagrams to the peer go to <paramref name="endpoint"/> on the socket.</summary>
    public bool UseDirect(string peerNodeId, in PeerEndpoint endpoint)
    {
        if (!endpoint.IsSet || RelayEndpoints.IsVirtual(endpoint))
        {
            return false;
        }

        return MoveEndpoint(peerNodeId, endpoint, relayed: false);
    }

    /// <summary>From now on datagrams to the peer go through <see cref="RelayLink"/>.</summary>
    public bool UseRelay(string peerNodeId) => MoveEndpoint(peerNodeId, default, relayed: true);

    private bool MoveEndpoint(string peerNodeId, PeerEndpoint endpoint, bool relayed)
    {
        ArgumentNullException.ThrowIfNull(peerNodeId);
        lock (_configLock)
        {
            if (_disposed || !_meshPeers.TryGetValue(peerNodeId, out var peer))
            {
                return false;
            }

            var state = (MeshPeerState)peer.DeviceState!;
            var target = relayed ? state.Relay.Endpoint : endpoint;
            var before = peer.Endpoint;
            if (before == target)
            {
                return true;
            }

            peer.Endpoint = target;
            DeviceLog.PathChanged(_logger, state.Name, relayed ? "through the relay" : "direct", relayed ? "relay" : target.ToString());

            // Packets staged while the peer had nowhere to go wait for a handshake; start it now.
            if (!before.IsSet && _started)
            {
                _engine.InitiateHandshake(peer, this);
            }

            return true;
        }
    }

    /// <summary>What a status line says about how a peer is reached now. Called without _configLock (the relay client has its own locks).</summary>
    private PeerPathStatus PathStatusOf(string nodeId, in PeerEndpoint endpoint)
    {
        if (RelayEndpoints.IsVirtual(endpoint))
        {
            var link = RelayLink;
            var route = link?.RouteFor(nodeId);
            var transport = link?.TransportFor(nodeId) switch
            {
                RelayTransport.Udp => "udp",
                RelayTransport.Tls => "tls",
                _ => null,
            };
            return new PeerPathStatus(nodeId, "relay", route?.Endpoint, route?.RelayId, transport, null);
        }

        return endpoint.IsSet
            ? new PeerPathStatus(nodeId, "direct", endpoint.ToString(), null, null, null)
            : new PeerPathStatus(nodeId, "none", null, null, null, null);
    }

    // Called with _configLock held when a mesh peer is added: its slot, the same one it had before if any.
    private RelayedPeer AttachRelaySlotLocked(string nodeId)
    {
        if (!_slotOfNode.TryGetValue(nodeId, out var slot))
        {
            slot = ++_lastSlot;
            _slotOfNode[nodeId] = slot;
        }

        var relayed = new RelayedPeer(nodeId, slot);
        _relayBySlot[slot] = relayed;
        _relayByNode[nodeId] = relayed;
        return relayed;
    }

    // Called with _configLock held when a mesh peer goes: nothing more is relayed to or from it.
    private void DetachRelaySlotLocked(RelayedPeer relayed)
    {
        _relayBySlot.TryRemove(new KeyValuePair<uint, RelayedPeer>(relayed.Slot, relayed));
        _relayByNode.TryRemove(new KeyValuePair<string, RelayedPeer>(relayed.NodeId, relayed));
    }

    // Send path: a datagram whose endpoint is a relay slot goes to the relay client, never to the socket.
    private void SendRelayed(ReadOnlySpan<byte> datagram, in PeerEndpoint destination)
    {
        if (!RelayEndpoints.TryGetSlot(destination, out var slot) ||
            !_relayBySlot.TryGetValue(slot, out var relayed) ||
            RelayLink is not { } link ||
            !link.Send(relayed.NodeId, datagram))
        {
            _counters.Drop(DeviceDrop.RelaySendFailed);
            return;
        }

        relayed.AddTx(datagram.Length);
    }

    // Receive path: what is not WireGuard goes to its sink; a sink's failure drops the datagram, never the loop.
    private void DispatchUnderlay(UnderlayKind kind, ReadOnlySpan<byte> datagram, in PeerEndpoint source)
    {
        try
        {
            switch (kind)
            {
                case UnderlayKind.Probe:
                    if (ProbeSink is { } probes)
                    {
                        probes.HandleProbe(datagram, source);
                    }
                    else
                    {
                        _counters.Drop(DeviceDrop.ProbeNotHandled);
                    }

                    break;
                case UnderlayKind.RelayFrame:
                    if (RelayLink is not { } relay || !relay.TryHandleUdpFrame(datagram, source))
                    {
                        _counters.Drop(DeviceDrop.RelayFrameNotFromRelay);
                    }

                    break;
                case UnderlayKind.Stun:
                    if (StunSink is not { } stun || !stun.TryHandleStun(datagram, source))
                    {
                        _counters.Drop(DeviceDrop.StunNotHandled);
                    }

                    break;
                default:
                    _counters.Drop(DeviceDrop.UnrecognizedDatagram);
                    break;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _counters.Drop(DeviceDrop.UnrecognizedDatagram);
            DeviceLog.SinkFailed(_logger, kind.ToString(), source.ToString(), ex);
        }
    }

    private static void SetOnce<T>(ref T? field, T? value)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(value);
        if (Interlocked.CompareExchange(ref field, value, null) is not null)
        {
            throw new InvalidOperationException("Already set: the device takes its path sinks once.");
        }
    }

    /// <summary>
    /// Per-thread buffers for relayed datagrams (they arrive on the relay client's threads, and on the receive
    /// loop inside a frame). Taken while in use, so a call nested in another on the same thread gets its own.
    /// </summary>
    private sealed class RelayedScratch
    {
        [ThreadStatic]
        private static RelayedScratch? s_spare;

        private RelayedScratch(int size) => Plaintext = new byte[size];

        public byte[] Plaintext { get; }

        public FilterResets Resets { get; } = new();

        public static RelayedScratch Take(int size)
        {
            var spare = s_spare;
            s_spare = null;
            return spare is not null && spare.Plaintext.Length >= size ? spare : new RelayedScratch(size);
        }

        public static void Return(RelayedScratch scratch) => s_spare = scratch;
    }
}
