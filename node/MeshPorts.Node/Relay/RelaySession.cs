using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using MeshPorts.Contracts.Relay;
using MeshPorts.Contracts.Transport;
using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Logging;
using RelayGrpc = MeshPorts.Contracts.Relay.Relay;

namespace MeshPorts.Node.Relay;

/// <summary>
/// This node's link to one relay: a TLS gRPC stream (Relay.Connect) trusted only by the relay's pin,
/// reconnected with backoff, and the UDP session its Welcome sets up, kept alive by keepalives from the
/// WireGuard socket.
/// </summary>
internal sealed class RelaySession : IAsyncDisposable
{
    private const int MaxDatagram = 65_535;

    private readonly RelayClient _owner;
    private readonly GrpcChannel _channel;
    private readonly RelayGrpc.RelayClient _client;
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;
    private RelayConnection? _connection;
    private int _welcomes;
    private StrongBox<PeerEndpoint>? _udpEndpoint;

    public RelaySession(RelayEntry entry, RelayClient owner)
    {
        Entry = entry;
        _owner = owner;
        var handler = PinnedHttpHandler.Create(entry.Pin, PinnedHttpHandler.DefaultKeepAlive, presented => RelayLog.PinMismatch(owner.Logger, entry.Id, entry.Url.GetLeftPart(UriPartial.Authority), presented.ToString(), entry.Pin.ToString()));
        _channel = GrpcChannel.ForAddress(entry.Url, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        _client = new RelayGrpc.RelayClient(_channel);
    }

    public RelayEntry Entry { get; }

    public string Id => Entry.Id;

    /// <summary>The welcomed stream, or null while (re)connecting.</summary>
    public RelayConnection? Connection => Volatile.Read(ref _connection);

    /// <summary>Connections that reached Welcome, for tests and status.</summary>
    public int Welcomes => Volatile.Read(ref _welcomes);

    /// <summary>The relay's UDP address once resolved (default before): frames from it are this relay's, whatever the session state.</summary>
    public PeerEndpoint UdpEndpoint => Volatile.Read(ref _udpEndpoint)?.Value ?? default;

    public void Start() => _run ??= Task.Run(() => RunAsync(_stop.Token));

    /// <summary>True while the relay answers our UDP keepalives.</summary>
    public bool UdpUp => Connection?.Udp is { } udp && udp.IsUp(_owner.Time.GetTimestamp(), _owner.Time, _owner.Options.UdpAliveWindow);

    public RelayTransport Transport => Connection is null ? RelayTransport.None : UdpUp ? RelayTransport.Udp : RelayTransport.Tls;

    /// <summary>Keepalive round trip while UDP is up, else the TLS connect time; null when not connected.</summary>
    public TimeSpan? RoundTrip => Connection is not { } connection ? null
        : UdpUp && connection.Udp!.RoundTrip is { } udp ? udp
        : connection.ConnectTime;

    /// <summary>Where sends go now: the relay's UDP address when UDP is up, else its URL.</summary>
    public string RouteEndpoint => UdpUp ? Connection!.Udp!.RelayEndpoint.ToString() : Entry.Url.GetLeftPart(UriPartial.Authority);

    /// <summary>Hands a fresher ticket to the open stream (the relay replaces the old one).</summary>
    public void OfferTicket(SignedTicket ticket)
    {
        if (Connection is { } connection && !connection.Outbound.TryWrite(new ClientFrame { Ticket = ticket }))
        {
            _owner.Counters.Drop(RelayDrop.QueueFull);
        }
    }

    /// <summary>Sends one datagram to <paramref name="peerNodeId"/> through this relay; the transport it took, or None.</summary>
    public RelayTransport Send(string peerNodeId, ReadOnlySpan<byte> datagram)
    {
        if (Connection is not { } connection)
        {
            return RelayTransport.None;
        }

        if (connection.Udp is { } udp && UdpUp && TrySendUdp(udp, peerNodeId, datagram))
        {
            return RelayTransport.Udp;
        }

        var frame = new ClientFrame { Send = new Datagram { PeerNodeId = peerNodeId, Payload = ByteString.CopyFrom(datagram) } };
        if (!connection.Outbound.TryWrite(frame))
        {
            _owner.Counters.Drop(RelayDrop.QueueFull);
            return RelayTransport.None;
        }

        return RelayTransport.Tls;
    }

    /// <summary>A frame from this relay's UDP address: checked, then a keepalive answer or a datagram for the device.</summary>
    public void HandleUdpFrame(ReadOnlySpan<byte> frame)
    {
        var counters = _owner.Counters;
        if (!RelayUdpFrame.TryReadHeader(frame, out var header))
        {
            counters.Drop(RelayDrop.Malformed);
            return;
        }

        if (Connection?.Udp is not { } udp || header.SessionId != udp.SessionId)
        {
            counters.Drop(RelayDrop.UnknownSession);
            return;
        }

        if (!RelayUdpFrame.VerifyTag(frame, udp.Key, RelayDirection.FromRelay))
        {
            counters.Drop(RelayDrop.BadTag);
            return;
        }

        if (!udp.AcceptCounter(header.Counter))
        {
            counters.Drop(RelayDrop.Replay);
            return;
        }

        switch (header.Kind)
        {
            case RelayFrameKind.KeepaliveAnswer:
                udp.Answered(_owner.Time.GetTimestamp(), _owner.Time);
                break;
            case RelayFrameKind.Datagram:
                var from = Encoding.ASCII.GetString(frame.Slice(header.PeerIdOffset, header.PeerIdLength));
                _owner.Deliver(from, Id, frame.Slice(header.PayloadOffset, header.PayloadLength), RelayTransport.Udp);
                break;
            default:
                counters.Drop(RelayDrop.UnexpectedKind);
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is { } run)
        {
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
            }
        }

        _channel.Dispose();
        _stop.Dispose();
    }

    private bool TrySendUdp(RelayUdpSession udp, string peerNodeId, ReadOnlySpan<byte> datagram)
    {
        Span<byte> peerId = stackalloc byte[RelayUdpFrame.MaxPeerIdLength];
        if (peerNodeId.Length > RelayUdpFrame.MaxPeerIdLength || !Ascii.IsValid(peerNodeId))
        {
            return false;
        }

        var idLength = Encoding.ASCII.GetBytes(peerNodeId, peerId);
        var size = RelayUdpFrame.HeaderSize + idLength + datagram.Length + RelayUdpFrame.TagSize;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var written = RelayUdpFrame.Write(buffer, udp.SessionId, udp.NextCounter(), RelayFrameKind.Datagram, peerId[..idLength], datagram, udp.Key, RelayDirection.ToRelay);
            return _owner.Underlay.SendUnderlay(buffer.AsSpan(0, written), udp.RelayEndpoint);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void SendKeepalive(RelayUdpSession udp)
    {
        Span<byte> frame = stackalloc byte[RelayUdpFrame.HeaderSize + RelayUdpFrame.TagSize];
        var written = RelayUdpFrame.Write(frame, udp.SessionId, udp.NextCounter(), RelayFrameKind.Keepalive, [], [], udp.Key, RelayDirection.ToRelay);
        udp.KeepaliveSent(_owner.Time.GetTimestamp());
        _owner.Underlay.SendUnderlay(frame[..written], udp.RelayEndpoint);
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var backoff = new Backoff(_owner.Options.ReconnectMin, _owner.Options.ReconnectMax);
        while (!stop.IsCancellationRequested)
        {
            var welcomed = false;
            try
            {
                welcomed = await ConnectOnceAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex)
            {
                RelayLog.ConnectFailed(_owner.Logger, Id, Entry.Url.GetLeftPart(UriPartial.Authority), ex.Status.StatusCode.ToString(), ex.Status.Detail);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                // Whatever broke this connection, the session lives on and reconnects.
                RelayLog.ConnectFailed(_owner.Logger, Id, Entry.Url.GetLeftPart(UriPartial.Authority), ex.GetType().Name, ex.Message);
            }

            if (welcomed)
            {
                backoff.Reset();
            }

            try
            {
                // Jittered, so nodes that lost a relay together do not all come back in the same instant.
                await Task.Delay(backoff.Next(), _owner.Time, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One stream: Challenge, Hello, Welcome, then datagrams until it ends. True when it reached Welcome.</summary>
    private async Task<bool> ConnectOnceAsync(CancellationToken stop)
    {
        if (_owner.CurrentTicket is not { } ticket)
        {
            return false;
        }

        var udpEndpoint = await ResolveUdpAsync(stop);
        if (udpEndpoint is { } resolved)
        {
            Volatile.Write(ref _udpEndpoint, new StrongBox<PeerEndpoint>(resolved));
        }

        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var started = _owner.Time.GetTimestamp();
        using var call = _client.Connect(cancellationToken: lifetime.Token);
        if (!await call.ResponseStream.MoveNext(lifetime.Token) || call.ResponseStream.Current.FrameCase != ServerFrame.FrameOneofCase.Challenge
            || call.ResponseStream.Current.Challenge.Nonce.Length != RelaySignatures.NonceSize)
        {
            throw new RelayProtocolException("the relay did not open with a 32-byte challenge");
        }

        var nonce = call.ResponseStream.Current.Challenge.Nonce;
        var timestamp = _owner.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var signature = _owner.Machine.Sign(RelaySignatures.HelloBytes(nonce.Span, timestamp, ticket.Ticket.Span));
        var hello = new Hello { Ticket = ticket, TimestampUnixMs = timestamp, Signature = ByteString.CopyFrom(signature) };
        await call.RequestStream.WriteAsync(new ClientFrame { Hello = hello }, lifetime.Token);
        if (!await call.ResponseStream.MoveNext(lifetime.Token) || call.ResponseStream.Current.FrameCase != ServerFrame.FrameOneofCase.Welcome)
        {
            throw new RelayProtocolException("the relay did not answer the hello with a welcome");
        }

        var welcome = call.ResponseStream.Current.Welcome;
        RelayUdpSession? udp = null;
        if (udpEndpoint is { } endpoint && !RelayUdpSession.TryParseWelcome(welcome, endpoint, out udp))
        {
            throw new RelayProtocolException("the relay's welcome has no 8-byte UDP session id and 32-byte key");
        }

        var outbound = Channel.CreateBounded<ClientFrame>(new BoundedChannelOptions(_owner.Options.TlsQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var connection = new RelayConnection(outbound, udp, _owner.Time.GetElapsedTime(started));
        var pump = PumpAsync(call.RequestStream, outbound.Reader, lifetime);
        Volatile.Write(ref _connection, connection);
        Interlocked.Increment(ref _welcomes);
        RelayLog.Connected(_owner.Logger, Id, Entry.Url.GetLeftPart(UriPartial.Authority), udp is not null);
        if (udp is not null)
        {
            SendKeepalive(udp);
        }

        using var keepalive = udp is null ? null : _owner.Time.CreateTimer(_ => SendKeepalive(udp), null, _owner.Options.KeepaliveInterval, _owner.Options.KeepaliveInterval);
        try
        {
            // A ticket fetched while this stream was being set up is newer than the Hello's.
            if (!ReferenceEquals(_owner.CurrentTicket, ticket) && _owner.CurrentTicket is { } fresher)
            {
                OfferTicket(fresher);
            }

            while (await call.ResponseStream.MoveNext(lifetime.Token))
            {
                var frame = call.ResponseStream.Current;
                if (frame.FrameCase == ServerFrame.FrameOneofCase.Received && frame.Received.Payload.Length is > 0 and <= MaxDatagram)
                {
                    _owner.Deliver(frame.Received.PeerNodeId, Id, frame.Received.Payload.Span, RelayTransport.Tls);
                }
                else
                {
                    _owner.Counters.Drop(RelayDrop.Malformed);
                }
            }

            RelayLog.Disconnected(_owner.Logger, Id, "the relay ended the stream");
        }
        finally
        {
            Volatile.Write(ref _connection, null);
            outbound.Writer.TryComplete();
            await lifetime.CancelAsync();
            try
            {
                await pump;
            }
            catch (Exception ex) when (ex is OperationCanceledException or RpcException or IOException or InvalidOperationException)
            {
            }
        }

        return true;
    }

    private static async Task PumpAsync(IClientStreamWriter<ClientFrame> writer, ChannelReader<ClientFrame> frames, CancellationTokenSource lifetime)
    {
        try
        {
            await foreach (var frame in frames.ReadAllAsync(lifetime.Token))
            {
                await writer.WriteAsync(frame, lifetime.Token);
            }
        }
        catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException)
        {
            // A broken write ends the stream; the read side then sees it and the session reconnects.
            await lifetime.CancelAsync();
        }
    }

    private async Task<PeerEndpoint?> ResolveUdpAsync(CancellationToken cancellation)
    {
        if (Entry.UdpEndpoint is not { } text)
        {
            return null;
        }

        if (PeerEndpoint.TryParse(text, out var literal))
        {
            return literal;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(text.AsSpan(colon + 1), out var port) || port == 0)
        {
            RelayLog.BadUdpEndpoint(_owner.Logger, Id, text);
            return null;
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(text[..colon].Trim('[', ']'), cancellation);
            return addresses.Length == 0 ? null : PeerEndpoint.FromIPEndPoint(new IPEndPoint(addresses[0], port));
        }
        catch (SocketException)
        {
            RelayLog.BadUdpEndpoint(_owner.Logger, Id, text);
            return null;
        }
    }
}
