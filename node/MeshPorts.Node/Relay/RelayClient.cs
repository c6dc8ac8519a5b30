using MeshPorts.Contracts.Relay;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Paths;
using MeshPorts.Node.StateDirectory;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Relay;

/// <summary>
/// The node's relay client (docs/nat.md "TLS relay", "UDP relay frames"): keeps a ticket from the coordinator,
/// a pinned TLS stream and a UDP session to every relay the ticket lists, and sends each peer's datagrams
/// through that peer's home relay, over UDP while the relay answers keepalives, else over TLS.
/// </summary>
/// <remarks>
/// The lead calls <see cref="Start"/> once, <see cref="UpdatePeers"/> and <see cref="NetmapChanged"/> after
/// every applied netmap. Datagrams are taken only from current peers (<see cref="UpdatePeers"/>).
/// </remarks>
internal sealed partial class RelayClient : IRelayLink, IAsyncDisposable
{
    private const int MaxDatagram = 65_535;

    private readonly ICoordinatorLink _coordinator;
    private readonly IRelayedInbound _inbound;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private Dictionary<string, RelaySession> _sessions = new(StringComparer.Ordinal);
    private Dictionary<string, PathPeer> _peers = new(StringComparer.Ordinal);
    private SignedTicket? _ticket;
    private Task? _ticketLoop;

    public RelayClient(ICoordinatorLink coordinator, MachineKey machine, IUnderlaySender underlay, IRelayedInbound inbound,
        TimeProvider time, ILogger logger, RelayClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(underlay);
        ArgumentNullException.ThrowIfNull(inbound);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        options ??= new RelayClientOptions();
        options.Validate();
        _coordinator = coordinator;
        _inbound = inbound;
        Machine = machine;
        Underlay = underlay;
        Time = time;
        Logger = logger;
        Options = options;
    }

    public RelayCounters Counters { get; } = new();

    /// <summary>The UDP endpoints (HOST:PORT) of the relays of the latest ticket answer: STUN servers as well.</summary>
    public IReadOnlyList<string> RelayUdpEndpoints
    {
        get
        {
            lock (_gate)
            {
                return [.. _sessions.Values.Select(s => s.Entry.UdpEndpoint).OfType<string>()];
            }
        }
    }

    /// <summary>
    /// This node's home relay (RelayServer.id) for the endpoint report: the connected relay with the lowest
    /// round trip (keepalive RTT, or the TLS connect time while its UDP is down); null when none is connected.
    /// </summary>
    public string? HomeRelay
    {
        get
        {
            string? best = null;
            var bestRtt = TimeSpan.MaxValue;
            foreach (var session in Volatile.Read(ref _sessions).Values)
            {
                if (session.RoundTrip is { } rtt && (rtt < bestRtt || (rtt == bestRtt && string.CompareOrdinal(session.Id, best) < 0)))
                {
                    best = session.Id;
                    bestRtt = rtt;
                }
            }

            return best;
        }
    }

    internal MachineKey Machine { get; }

    internal IUnderlaySender Underlay { get; }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    internal RelayClientOptions Options { get; }

    /// <summary>The ticket every Hello carries, null before the first fetch.</summary>
    internal SignedTicket? CurrentTicket => Volatile.Read(ref _ticket);

    /// <summary>The relays of the current ticket.</summary>
    internal IReadOnlyDictionary<string, RelaySession> Sessions => Volatile.Read(ref _sessions);

    /// <summary>Starts fetching tickets, which opens the relays' streams.</summary>
    public void Start() => _ticketLoop ??= Task.Run(() => TicketLoopAsync(_stop.Token));

    /// <summary>The mesh peers as the netmap has them: their home relays, and who may send to this node.</summary>
    public void UpdatePeers(IEnumerable<PathPeer> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var next = new Dictionary<string, PathPeer>(StringComparer.Ordinal);
        foreach (var peer in peers)
        {
            next[peer.NodeId] = peer;
        }

        Volatile.Write(ref _peers, next);
        Counters.Retain(next.Keys.ToHashSet(StringComparer.Ordinal));
    }

    public bool Send(string peerNodeId, ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length is 0 or > MaxDatagram)
        {
            Counters.Drop(RelayDrop.Oversized);
            return false;
        }

        if (!Volatile.Read(ref _peers).ContainsKey(peerNodeId))
        {
            Counters.Drop(RelayDrop.NoRelay);
            return false;
        }

        var transport = SessionFor(peerNodeId) is { } session ? session.Send(peerNodeId, datagram) : RelayTransport.None;
        var counters = Counters.For(peerNodeId);
        if (transport == RelayTransport.None)
        {
            Counters.Drop(RelayDrop.NoRelay);
            counters.SendDropped();
            return false;
        }

        counters.Sent(transport, datagram.Length);
        return true;
    }

    public RelayTransport TransportFor(string peerNodeId) => SessionFor(peerNodeId)?.Transport ?? RelayTransport.None;

    public (string RelayId, string Endpoint)? RouteFor(string peerNodeId) =>
        SessionFor(peerNodeId) is { Transport: not RelayTransport.None } session ? (session.Id, session.RouteEndpoint) : null;

    public bool TryHandleUdpFrame(ReadOnlySpan<byte> frame, in PeerEndpoint source)
    {
        foreach (var session in Volatile.Read(ref _sessions).Values)
        {
            if (session.UdpEndpoint.IsSet && session.UdpEndpoint == source)
            {
                session.HandleUdpFrame(frame);
                return true;
            }
        }

        Counters.Drop(RelayDrop.UnknownSource);
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_ticketLoop is { } loop)
        {
            try
            {
                await loop;
            }
            catch (OperationCanceledException)
            {
            }
        }

        Dictionary<string, RelaySession> sessions;
        lock (_gate)
        {
            sessions = _sessions;
            _sessions = new Dictionary<string, RelaySession>(StringComparer.Ordinal);
        }

        foreach (var session in sessions.Values)
        {
            await session.DisposeAsync();
        }

        _stop.Dispose();
    }

    /// <summary>A datagram a relay delivered (UDP frame or TLS stream): to the device if it is from a current peer.</summary>
    internal void Deliver(string fromNodeId, string relayId, ReadOnlySpan<byte> datagram, RelayTransport transport)
    {
        if (!Volatile.Read(ref _peers).ContainsKey(fromNodeId))
        {
            Counters.Drop(RelayDrop.UnknownPeer);
            return;
        }

        Counters.For(fromNodeId).Received(transport, datagram.Length);
        _inbound.ReceiveRelayed(fromNodeId, relayId, datagram);
    }

    private RelaySession? SessionFor(string peerNodeId) =>
        Volatile.Read(ref _peers).TryGetValue(peerNodeId, out var peer) && peer.HomeRelay is { } relayId
        && Volatile.Read(ref _sessions).TryGetValue(relayId, out var session)
            ? session
            : null;
}
