using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using MeshPorts.Contracts.Relay;
using MeshPorts.Contracts.Transport;
using NSec.Cryptography;
using RelayGrpc = MeshPorts.Contracts.Relay.Relay;

namespace MeshPorts.LoadTest.Relay;

/// <summary>
/// One simulated node's relay client, as the node's own does it (node/MeshPorts.Node/Relay): a pinned TLS
/// stream to the relay (Challenge, Hello signed by the machine key over the ticket, Welcome), then UDP relay
/// frames (docs/nat.md, <see cref="RelayUdpFrame"/>) from its own UDP socket, keepalives included. The same
/// socket also sends and receives the direct baseline. Only the pacer thread sends; only the receive loop
/// reads the socket and the stream.
/// </summary>
internal sealed class RelayPeer : IAsyncDisposable
{
    private const int ReceiveBuffer = 1 << 20;

    private readonly Socket _udp = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Dictionary<byte, StepTally> _tallies = [];
    private readonly RelayReplayWindow _replay = new();
    private readonly TaskCompletionSource _udpUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _payload;
    private readonly byte[] _frame;
    private GrpcChannel? _channel;
    private AsyncDuplexStreamingCall<ClientFrame, ServerFrame>? _call;
    private Key? _udpKey;
    private ulong _sessionId;
    private long _sendCounter;
    private long _rejected;
    private long _sendFailures;
    private IPEndPoint _relayUdp = null!;
    private byte[] _pairId = [];
    private IPEndPoint _pairDirect = null!;
    private Task _udpLoop = Task.CompletedTask;
    private Task _tlsLoop = Task.CompletedTask;

    public RelayPeer(SimNode node, int index, int size)
    {
        Node = node;
        Index = index;
        _payload = RandomNumberGenerator.GetBytes(size);
        _frame = new byte[size + RelayUdpFrame.MaxOverhead];
        _udp.ReceiveBufferSize = ReceiveBuffer;
        _udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public SimNode Node { get; }

    public int Index { get; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_udp.LocalEndPoint!;

    /// <summary>Datagrams sent in the current step (the pacer's count).</summary>
    public long Sent { get; set; }

    /// <summary>Frames that failed a check here (layout, session, tag, replay, sender): the relay should send none.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Completes at the first keepalive answer: the relay knows this node's UDP address.</summary>
    public Task UdpUp => _udpUp.Task;

    /// <summary>Datagrams the kernel refused to send (a full send buffer): counted as sent and lost.</summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    public void PairWith(RelayPeer pair)
    {
        _pairId = Encoding.ASCII.GetBytes(pair.Node.NodeId);
        _pairDirect = pair.LocalEndPoint;
    }

    /// <summary>Challenge, Hello, Welcome on a TLS stream of its own, then reads UDP and the stream until disposed.</summary>
    public async Task ConnectAsync(RelayServerInfo relay, SignedTicket ticket, CancellationToken stop)
    {
        _relayUdp = relay.UdpEndPoint;
        _channel = GrpcChannel.ForAddress(relay.Url, new GrpcChannelOptions
        {
            HttpHandler = PinnedHttpHandler.Create(relay.Pin, PinnedHttpHandler.DefaultKeepAlive),
            DisposeHttpClient = true,
        });
        _call = new RelayGrpc.RelayClient(_channel).Connect(cancellationToken: stop);
        if (!await _call.ResponseStream.MoveNext(stop).ConfigureAwait(false) || _call.ResponseStream.Current.Challenge is not { } challenge
            || challenge.Nonce.Length != RelaySignatures.NonceSize)
        {
            throw new InvalidOperationException("the relay did not open with a 32-byte challenge");
        }

        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var signature = Node.Sign(RelaySignatures.HelloBytes(challenge.Nonce.Span, timestamp, ticket.Ticket.Span));
        var hello = new Hello { Ticket = ticket, TimestampUnixMs = timestamp, Signature = ByteString.CopyFrom(signature) };
        await _call.RequestStream.WriteAsync(new ClientFrame { Hello = hello }, stop).ConfigureAwait(false);
        if (!await _call.ResponseStream.MoveNext(stop).ConfigureAwait(false) || _call.ResponseStream.Current.Welcome is not { } welcome
            || welcome.UdpSessionId.Length != RelayUdpFrame.SessionIdSize || welcome.UdpKey.Length != 32)
        {
            throw new InvalidOperationException("the relay did not answer the Hello with a Welcome carrying a UDP session");
        }

        _sessionId = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(welcome.UdpSessionId.Span);
        _udpKey = RelayUdpFrame.ImportKey(welcome.UdpKey.Span);
        _udpLoop = Task.Run(() => ReceiveUdpAsync(stop), stop);
        _tlsLoop = Task.Run(() => ReceiveTlsAsync(_call, stop), stop);
        SendKeepalive();
    }

    /// <summary>A keepalive frame (kind 2): keeps this node's UDP address fresh at the relay, as the node does every 2 s.</summary>
    public void SendKeepalive()
    {
        if (_udpKey is null)
        {
            return;
        }

        Span<byte> frame = stackalloc byte[RelayUdpFrame.HeaderSize + RelayUdpFrame.TagSize];
        var written = RelayUdpFrame.Write(frame, _sessionId, NextCounter(), RelayFrameKind.Keepalive, [], [], _udpKey, RelayDirection.ToRelay);
        Send(frame[..written], _relayUdp);
    }

    /// <summary>One datagram to the pair: straight to its socket, or as a relay frame to the relay. Stamped before framing.</summary>
    public void SendOne(byte step, bool viaRelay)
    {
        PayloadFormat.Write(_payload, Index, (ulong)Sent, Stopwatch.GetTimestamp(), step);
        Sent++;
        if (!viaRelay)
        {
            Send(_payload, _pairDirect);
            return;
        }

        var written = RelayUdpFrame.Write(_frame, _sessionId, NextCounter(), RelayFrameKind.Datagram, _pairId, _payload, _udpKey!, RelayDirection.ToRelay);
        Send(_frame.AsSpan(0, written), _relayUdp);
    }

    /// <summary>What this node received in <paramref name="step"/> so far.</summary>
    public StepTally Tally(byte step)
    {
        lock (_tallies)
        {
            return _tallies.TryGetValue(step, out var t) ? t : new StepTally();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _udp.Dispose();
        _call?.Dispose();
        try
        {
            await Task.WhenAll(_udpLoop, _tlsLoop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or ObjectDisposedException or SocketException)
        {
            // Ending the run ends the loops.
        }

        _channel?.Dispose();
        _udpKey?.Dispose();
    }

    private ulong NextCounter() => (ulong)Interlocked.Increment(ref _sendCounter);

    private void Send(ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        try
        {
            _udp.SendTo(datagram, SocketFlags.None, to);
        }
        catch (SocketException)
        {
            // A full socket buffer loses the datagram as UDP may; the receiver's count shows it.
            Interlocked.Increment(ref _sendFailures);
        }
    }

    private async Task ReceiveUdpAsync(CancellationToken stop)
    {
        var buffer = new byte[ushort.MaxValue];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, any, stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            var arrived = Stopwatch.GetTimestamp();
            var datagram = buffer.AsSpan(0, received.ReceivedBytes);
            if (RelayUdpFrame.IsRelayFrame(datagram))
            {
                HandleFrame(datagram, arrived);
            }
            else
            {
                Record(datagram, arrived, overTls: false);
            }
        }
    }

    private void HandleFrame(ReadOnlySpan<byte> frame, long arrived)
    {
        if (!RelayUdpFrame.TryReadHeader(frame, out var header) || header.SessionId != _sessionId || _udpKey is null
            || !RelayUdpFrame.VerifyTag(frame, _udpKey, RelayDirection.FromRelay) || !_replay.Accept(header.Counter))
        {
            Interlocked.Increment(ref _rejected);
            return;
        }

        switch (header.Kind)
        {
            case RelayFrameKind.KeepaliveAnswer:
                _udpUp.TrySetResult();
                break;
            case RelayFrameKind.Datagram when frame.Slice(header.PeerIdOffset, header.PeerIdLength).SequenceEqual(_pairId):
                Record(frame.Slice(header.PayloadOffset, header.PayloadLength), arrived, overTls: false);
                break;
            default:
                Interlocked.Increment(ref _rejected);
                break;
        }
    }

    private async Task ReceiveTlsAsync(AsyncDuplexStreamingCall<ClientFrame, ServerFrame> call, CancellationToken stop)
    {
        try
        {
            while (await call.ResponseStream.MoveNext(stop).ConfigureAwait(false))
            {
                if (call.ResponseStream.Current.Received is { } datagram && datagram.PeerNodeId == Encoding.ASCII.GetString(_pairId))
                {
                    Record(datagram.Payload.Span, Stopwatch.GetTimestamp(), overTls: true);
                }
                else
                {
                    Interlocked.Increment(ref _rejected);
                }
            }
        }
        catch (RpcException) when (stop.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Record(ReadOnlySpan<byte> payload, long arrived, bool overTls)
    {
        if (!PayloadFormat.TryRead(payload, out _, out var sent, out var step))
        {
            Interlocked.Increment(ref _rejected);
            return;
        }

        var ms = Stopwatch.GetElapsedTime(sent, arrived).TotalMilliseconds;
        lock (_tallies)
        {
            if (!_tallies.TryGetValue(step, out var t))
            {
                _tallies[step] = t = new StepTally();
            }

            t.Received++;
            t.Bytes += payload.Length;
            t.OverTls += overTls ? 1 : 0;
            t.LatencyMs.Add(ms);
        }
    }
}
