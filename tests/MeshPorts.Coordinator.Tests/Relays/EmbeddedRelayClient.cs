using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Relay;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests.Relays;

/// <summary>A node's side of the embedded relay, as a relay client would speak it: ticket, Connect, UDP frames.</summary>
internal sealed class EmbeddedRelayClient : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly TestCoordinator _coordinator;
    private readonly TestNode _node;
    private AsyncDuplexStreamingCall<ClientFrame, ServerFrame>? _call;
    private ulong _counter;

    public EmbeddedRelayClient(TestCoordinator coordinator, TestNode node)
    {
        _coordinator = coordinator;
        _node = node;
    }

    public Welcome? Welcome { get; private set; }

    public UdpClient Udp { get; } = new(new IPEndPoint(IPAddress.Loopback, 0));

    public static async Task<RelayTicketResponse> TicketAsync(TestCoordinator c, TestNode node)
    {
        var request = new RelayTicketRequest();
        request.Auth = await node.SignAsync(request, "/meshports.node.v1.NodeControl/GetRelayTicket");
        return await c.Node.GetRelayTicketAsync(request);
    }

    /// <summary>Fetches a ticket and connects; throws the RpcException the relay ends the call with.</summary>
    public async Task ConnectAsync()
    {
        var ticket = await TicketAsync(_coordinator, _node);
        _call = new Contracts.Relay.Relay.RelayClient(_coordinator.Channel).Connect();
        using var cts = new CancellationTokenSource(Wait);
        Assert.True(await _call.ResponseStream.MoveNext(cts.Token));
        var challenge = _call.ResponseStream.Current.Challenge;
        Assert.Equal("coordinator", challenge.RelayId);
        var ts = _coordinator.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await _call.RequestStream.WriteAsync(new ClientFrame
        {
            Hello = new Hello
            {
                Ticket = new SignedTicket { Ticket = ticket.Ticket, Signature = ticket.Signature },
                TimestampUnixMs = ts,
                Signature = ByteString.CopyFrom(_node.SignRelayHello(challenge.Nonce.Span, ts, ticket.Ticket.Span)),
            },
        });
        Assert.True(await _call.ResponseStream.MoveNext(cts.Token));
        Welcome = _call.ResponseStream.Current.Welcome;
        Assert.NotNull(Welcome);
    }

    public Task SendTlsAsync(string peer, byte[] payload) =>
        _call!.RequestStream.WriteAsync(new ClientFrame { Send = new Datagram { PeerNodeId = peer, Payload = ByteString.CopyFrom(payload) } });

    public async Task<Datagram> ReceiveTlsAsync()
    {
        using var cts = new CancellationTokenSource(Wait);
        Assert.True(await _call!.ResponseStream.MoveNext(cts.Token));
        return _call.ResponseStream.Current.Received;
    }

    public async Task SendUdpAsync(RelayFrameKind kind, string peer, byte[] payload)
    {
        var peerBytes = Encoding.ASCII.GetBytes(peer);
        var frame = new byte[RelayUdpFrame.HeaderSize + peerBytes.Length + payload.Length + RelayUdpFrame.TagSize];
        using var key = RelayUdpFrame.ImportKey(Welcome!.UdpKey.Span);
        RelayUdpFrame.Write(frame, BinaryPrimitives.ReadUInt64BigEndian(Welcome.UdpSessionId.Span), ++_counter, kind, peerBytes, payload, key, RelayDirection.ToRelay);
        await Udp.SendAsync(frame, _coordinator.Host.StunEndPoint);
    }

    /// <summary>The next relay frame on this node's UDP socket, its tag checked: (kind, peer, payload).</summary>
    public async Task<(RelayFrameKind Kind, string Peer, byte[] Payload)> ReceiveUdpAsync()
    {
        using var cts = new CancellationTokenSource(Wait);
        var frame = (await Udp.ReceiveAsync(cts.Token)).Buffer;
        Assert.True(RelayUdpFrame.TryReadHeader(frame, out var header));
        using var key = RelayUdpFrame.ImportKey(Welcome!.UdpKey.Span);
        Assert.True(RelayUdpFrame.VerifyTag(frame, key, RelayDirection.FromRelay));
        return (header.Kind, Encoding.ASCII.GetString(frame, header.PeerIdOffset, header.PeerIdLength), frame[header.PayloadOffset..(header.PayloadOffset + header.PayloadLength)]);
    }

    public void Dispose()
    {
        _call?.Dispose();
        Udp.Dispose();
    }
}
