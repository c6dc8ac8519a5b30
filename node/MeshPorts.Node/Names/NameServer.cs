using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using MeshPorts.Node.Coordinator;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Names;

/// <summary>
/// The node's DNS server: UDP on each overlay address, port 53. A query is answered only when it arrived
/// over loopback (the host itself) or over the overlay interface (a peer, already past the filter); one
/// from anywhere else is dropped, so the node is never an open resolver for its LAN. The zone is swapped
/// whole on every netmap (<see cref="Update"/>), and each name's end is checked on the node's clock at
/// the moment of the query.
/// </summary>
internal sealed class NameServer : IAsyncDisposable
{
    public const int DnsPort = 53;

    // Forwarded queries in flight at once; beyond that the host's own stub gets SERVFAIL and retries.
    private const int MaxForwarding = 64;

    // Linux <linux/in.h> IP_FREEBIND and <linux/in6.h> IPV6_FREEBIND: bind before DAD has finished.
    private const int SolIp = 0;
    private const int IpFreebind = 15;
    private const int SolIpv6 = 41;
    private const int Ipv6Freebind = 78;

    private readonly IReadOnlyList<IPAddress> _addresses;
    private readonly int _port;
    private readonly Func<int> _overlayIndex;
    private readonly CoordinatorClock _clock;
    private readonly NameAnswerer _answerer;
    private readonly NameForwarder _forwarder;
    private readonly ILogger _logger;
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _forwarding = new(MaxForwarding);
    private NameZone _zone;

    /// <param name="overlayIndex">The overlay interface's index (asked once per datagram's check; cheap).</param>
    public NameServer(IReadOnlyList<IPAddress> addresses, Func<int> overlayIndex, NameZone zone, NameForwarder forwarder, CoordinatorClock clock, ILogger logger, int port = DnsPort)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentNullException.ThrowIfNull(zone);
        _addresses = addresses;
        _overlayIndex = overlayIndex;
        _zone = zone;
        _forwarder = forwarder;
        _clock = clock;
        _logger = logger;
        _port = port;
        _answerer = new NameAnswerer(Counters);
    }

    public NameCounters Counters { get; } = new();

    public NameZone Zone => Volatile.Read(ref _zone);

    /// <summary>The addresses a socket is bound on (those whose bind failed are missing).</summary>
    public IReadOnlyList<IPAddress> Serving { get; private set; } = [];

    public void Update(NameZone zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        Volatile.Write(ref _zone, zone);
        NameLog.ZoneUpdated(_logger, zone.Count, zone.Suffix);
    }

    public void Start()
    {
        var serving = new List<IPAddress>();
        foreach (var address in _addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
                socket.SetRawSocketOption(v6 ? SolIpv6 : SolIp, v6 ? Ipv6Freebind : IpFreebind, BitConverter.GetBytes(1));
                socket.SetSocketOption(v6 ? SocketOptionLevel.IPv6 : SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
                socket.Bind(new IPEndPoint(address, _port));
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                NameLog.BindFailed(_logger, address.ToString(), _port, ex.Message);
                continue;
            }

            _sockets.Add(socket);
            serving.Add(address);
            _loops.Add(Task.Run(() => ReceiveLoopAsync(socket, address)));
        }

        Serving = serving;
        if (serving.Count > 0)
        {
            NameLog.Serving(_logger, Zone.Suffix, string.Join(", ", serving), _port);
        }
    }

    private async Task ReceiveLoopAsync(Socket socket, IPAddress address)
    {
        var buffer = new byte[4096];
        EndPoint any = new IPEndPoint(address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveMessageFromResult received;
            try
            {
                received = await socket.ReceiveMessageFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // A port-unreachable from a client that went away lands here on Linux; the socket is still good.
                NameLog.ReceiveFailed(_logger, address.ToString(), ex.Message);
                continue;
            }

            var from = (IPEndPoint)received.RemoteEndPoint;
            var asker = Classify(received.PacketInformation.Interface, from.Address);
            if (asker is null)
            {
                Counters.CountNotOverlay();
                continue;
            }

            var datagram = buffer.AsSpan(0, received.ReceivedBytes);
            var decision = _answerer.Decide(datagram, Zone, asker.Value, _clock.NowTicks);
            switch (decision.Kind)
            {
                case NameDecisionKind.Reply:
                    await SendAsync(socket, decision.Response!, from).ConfigureAwait(false);
                    break;
                case NameDecisionKind.Forward:
                    Forward(socket, datagram.ToArray(), from);
                    break;
            }
        }
    }

    private NameAsker? Classify(int interfaceIndex, IPAddress source) => Classify(interfaceIndex, source, LoopbackIndex, _overlayIndex(), _addresses);

    /// <summary>
    /// Loopback is the host itself; so is the overlay interface when the source is one of this node's own
    /// overlay addresses (Linux reports a query from the host to its own overlay address as arriving on the
    /// interface that holds the address, not on lo; no peer can send from this node's address, as the device
    /// checks each peer's source against its allowed IPs). Anything else on the overlay interface is a peer;
    /// anything on another interface is not asked.
    /// </summary>
    internal static NameAsker? Classify(int interfaceIndex, IPAddress source, int loopbackIndex, int overlayIndex, IReadOnlyList<IPAddress> own)
    {
        if (source.IsIPv4MappedToIPv6)
        {
            source = source.MapToIPv4();
        }

        if (interfaceIndex == loopbackIndex)
        {
            return NameAsker.Local(source);
        }

        if (interfaceIndex != overlayIndex)
        {
            return null;
        }

        return own.Contains(source) ? NameAsker.Local(source) : NameAsker.Peer(source);
    }

    private static int LoopbackIndex => NetworkInterface.LoopbackInterfaceIndex;

    private void Forward(Socket socket, byte[] query, IPEndPoint from)
    {
        if (!_forwarding.Wait(0))
        {
            Counters.CountForwardFailed();
            _ = SendAsync(socket, NameAnswerer.ServerFailure(query), from);
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                var reply = await _forwarder.ForwardAsync(query, _stop.Token).ConfigureAwait(false);
                if (reply is null)
                {
                    Counters.CountForwardFailed();
                    reply = NameAnswerer.ServerFailure(query);
                }
                else
                {
                    Counters.CountForwarded();
                }

                await SendAsync(socket, reply, from).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
            finally
            {
                _forwarding.Release();
            }
        });
    }

    private async Task SendAsync(Socket socket, byte[]? reply, IPEndPoint to)
    {
        if (reply is null)
        {
            return;
        }

        try
        {
            await socket.SendToAsync(reply, SocketFlags.None, to, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The asker retries; a send that fails here changes nothing else.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The loops' way out.
        }

        // _stop and _forwarding are not disposed: a forwarded query still finishing may touch them.
    }
}
