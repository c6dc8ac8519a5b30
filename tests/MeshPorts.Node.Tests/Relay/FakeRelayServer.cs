using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Relay;
using MeshPorts.Contracts.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;
using PublicKey = NSec.Cryptography.PublicKey;

namespace MeshPorts.Node.Tests.Relay;

/// <summary>
/// A relay as the node meets it: relay.proto's Connect served by Kestrel over loopback TLS with a self-signed
/// certificate, checking the ticket and the Hello as a real relay would, and a loopback UDP socket as its UDP
/// side, which the test drives by hand (it reads the node's frames and answers them itself).
/// </summary>
internal sealed class FakeRelayServer : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;
    private readonly Lock _gate = new();
    private IServerStreamWriter<ServerFrame>? _stream;
    private CancellationTokenSource? _kick;
    private ulong _udpCounter;
    private EndPoint? _nodeUdp;

    private FakeRelayServer(string id, PublicKey ticketKey, bool udp)
    {
        Id = id;
        TicketKey = ticketKey;
        _certificate = SelfSigned(id);
        Pin = CertificatePin.Of(_certificate);
        if (udp)
        {
            Udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            Udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        }

        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(_certificate);
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        _app = builder.Build();
        _app.MapGrpcService<FakeRelayService>();
    }

    public string Id { get; }

    public PublicKey TicketKey { get; }

    public CertificatePin Pin { get; }

    public Uri Url { get; private set; } = null!;

    /// <summary>The relay's UDP side; null for a TLS-only relay.</summary>
    public Socket? Udp { get; }

    public int ConnectCalls;

    public int VerifiedHellos;

    /// <summary>Each Hello with the challenge nonce it answered.</summary>
    public Channel<(byte[] Nonce, Hello Hello)> Hellos { get; } = Channel.CreateUnbounded<(byte[], Hello)>();

    public Channel<Datagram> Sent { get; } = Channel.CreateUnbounded<Datagram>();

    public Channel<SignedTicket> Tickets { get; } = Channel.CreateUnbounded<SignedTicket>();

    /// <summary>The current connection's UDP session id and key (from its Welcome).</summary>
    public ulong SessionId { get; private set; }

    public byte[] UdpKey { get; private set; } = [];

    public RelayServer Descriptor(CertificatePin? pin = null) => new()
    {
        Id = Id,
        Url = Url.GetLeftPart(UriPartial.Authority),
        Pin = (pin ?? Pin).ToString(),
        UdpEndpoint = Udp is null ? string.Empty : Udp.LocalEndPoint!.ToString(),
    };

    public static async Task<FakeRelayServer> StartAsync(string id, PublicKey ticketKey, bool udp = true)
    {
        var server = new FakeRelayServer(id, ticketKey, udp);
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    public static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));

        // Through PFX, so the private key is one the TLS stack on every platform can use.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }

    /// <summary>Delivers a datagram on the current TLS stream, as a relay does for a node whose UDP is silent.</summary>
    public async Task PushAsync(string fromNodeId, byte[] payload)
    {
        IServerStreamWriter<ServerFrame> stream;
        lock (_gate)
        {
            stream = _stream ?? throw new InvalidOperationException("no node is connected");
        }

        await stream.WriteAsync(new ServerFrame { Received = new Datagram { PeerNodeId = fromNodeId, Payload = ByteString.CopyFrom(payload) } });
    }

    /// <summary>Ends the current stream from the relay's side.</summary>
    public void Kick()
    {
        lock (_gate)
        {
            _kick?.Cancel();
        }
    }

    /// <summary>The next UDP frame the node sent this relay, and where from.</summary>
    public async Task<(byte[] Frame, EndPoint From)> ReceiveUdpAsync()
    {
        var buffer = new byte[70_000];
        using var timeout = new CancellationTokenSource(Wait);
        var result = await Udp!.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
        _nodeUdp = result.RemoteEndPoint;
        return (buffer[..result.ReceivedBytes], result.RemoteEndPoint);
    }

    /// <summary>Reads UDP frames until one of <paramref name="kind"/>; its header.</summary>
    public async Task<(byte[] Frame, RelayFrameHeader Header)> ReceiveUdpAsync(RelayFrameKind kind)
    {
        while (true)
        {
            var (frame, _) = await ReceiveUdpAsync();
            if (RelayUdpFrame.TryReadHeader(frame, out var header) && header.Kind == kind)
            {
                return (frame, header);
            }
        }
    }

    /// <summary>A frame from this relay to the node, tagged with the session key unless told otherwise.</summary>
    public byte[] Frame(RelayFrameKind kind, string peerNodeId = "", byte[]? payload = null, byte[]? key = null, ulong? sessionId = null, ulong? counter = null)
    {
        var id = System.Text.Encoding.ASCII.GetBytes(peerNodeId);
        payload ??= [];
        var frame = new byte[RelayUdpFrame.HeaderSize + id.Length + payload.Length + RelayUdpFrame.TagSize];
        using var tagKey = RelayUdpFrame.ImportKey(key ?? UdpKey);
        RelayUdpFrame.Write(frame, sessionId ?? SessionId, counter ?? Interlocked.Increment(ref _udpCounter), kind, id, payload, tagKey, RelayDirection.FromRelay);
        return frame;
    }

    /// <summary>Sends a frame to the address the node's frames came from.</summary>
    public async Task SendUdpAsync(byte[] frame, Socket? from = null)
    {
        await (from ?? Udp!).SendToAsync(frame, SocketFlags.None, _nodeUdp ?? throw new InvalidOperationException("the node has sent no UDP frame yet"));
    }

    public async ValueTask DisposeAsync()
    {
        Kick();
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stopping.Token);
        }

        await _app.DisposeAsync();
        Udp?.Dispose();
        _certificate.Dispose();
    }

    /// <summary>relay.proto Connect, as little of it as the node's side needs.</summary>
    internal async Task ConnectAsync(IAsyncStreamReader<ClientFrame> requests, IServerStreamWriter<ServerFrame> responses, ServerCallContext context)
    {
        Interlocked.Increment(ref ConnectCalls);
        var nonce = RandomNumberGenerator.GetBytes(RelaySignatures.NonceSize);
        await responses.WriteAsync(new ServerFrame { Challenge = new Challenge { Nonce = ByteString.CopyFrom(nonce), RelayId = Id } });
        if (!await requests.MoveNext(context.CancellationToken) || requests.Current.FrameCase != ClientFrame.FrameOneofCase.Hello)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "hello first"));
        }

        var hello = requests.Current.Hello;
        Hellos.Writer.TryWrite((nonce, hello));
        if (!RelayTickets.TryVerify(TicketKey, hello.Ticket, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), out var ticket)
            || !PublicKey.TryImport(SignatureAlgorithm.Ed25519, ticket.MachinePublicKey.Span, KeyBlobFormat.RawPublicKey, out var machine)
            || !SignatureAlgorithm.Ed25519.Verify(machine!, RelaySignatures.HelloBytes(nonce, hello.TimestampUnixMs, hello.Ticket.Ticket.Span), hello.Signature.Span))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "bad ticket or hello signature"));
        }

        Interlocked.Increment(ref VerifiedHellos);
        var sessionId = RandomNumberGenerator.GetBytes(8);
        var key = RandomNumberGenerator.GetBytes(32);
        using var kick = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        lock (_gate)
        {
            SessionId = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(sessionId);
            UdpKey = key;
            _udpCounter = 0;
            _stream = responses;
            _kick = kick;
        }

        await responses.WriteAsync(new ServerFrame
        {
            Welcome = new Welcome { UdpSessionId = ByteString.CopyFrom(sessionId), UdpKey = ByteString.CopyFrom(key), TicketNotAfterUnixMs = ticket.NotAfterUnixMs },
        });
        try
        {
            while (await requests.MoveNext(kick.Token))
            {
                switch (requests.Current.FrameCase)
                {
                    case ClientFrame.FrameOneofCase.Send:
                        Sent.Writer.TryWrite(requests.Current.Send);
                        break;
                    case ClientFrame.FrameOneofCase.Ticket:
                        Tickets.Writer.TryWrite(requests.Current.Ticket);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (kick.IsCancellationRequested)
        {
        }
        finally
        {
            lock (_gate)
            {
                if (ReferenceEquals(_kick, kick))
                {
                    _stream = null;
                    _kick = null;
                }
            }
        }
    }
}
