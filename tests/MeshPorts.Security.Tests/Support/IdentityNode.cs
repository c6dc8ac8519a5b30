using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Net.Client;
using MeshPorts.Contracts.Auth;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Transport;
using NSec.Cryptography;

namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// A node as the identity attacks need it: its own machine key, a WireGuard public key the test may set to
/// someone else's, enrollment with any requested name and endpoints, and signed RotateKey calls. Each one
/// connects from a loopback address of its own, so the coordinator's per-source failure limit never turns
/// one attack's refusal into another's RESOURCE_EXHAUSTED.
/// </summary>
internal sealed class IdentityNode : IDisposable
{
    private const string RotateKeyMethod = "/meshports.node.v1.NodeControl/RotateKey";

    // 127.9.0.0 onwards: clear of the addresses other attack classes take.
    private static int _nextSource = 9 << 16;

    private readonly Key _machine = Key.Create(SignatureAlgorithm.Ed25519);
    private readonly GrpcChannel _channel;

    public IdentityNode(LoopbackCoordinator coordinator, byte[]? wireGuardKey = null)
    {
        Assert.True(CertificatePin.TryParse(coordinator.Pin, out var pin), $"meshctl.conf pin '{coordinator.Pin}' does not parse");
        var handler = PinnedHttpHandler.Create(pin);
        var n = Interlocked.Increment(ref _nextSource);
        var source = new IPAddress(new byte[] { 127, (byte)(n >> 16), (byte)(n >> 8), (byte)n });
        handler.ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
        _channel = GrpcChannel.ForAddress(coordinator.Url, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        Client = new NodeControl.NodeControlClient(_channel);
        MachinePublicKey = _machine.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        WireGuardKey = wireGuardKey ?? RandomNumberGenerator.GetBytes(32);
    }

    public NodeControl.NodeControlClient Client { get; }

    public byte[] MachinePublicKey { get; }

    public byte[] WireGuardKey { get; }

    public EnrollRequest EnrollRequest(string joinString, string requestedName = "", params string[] endpoints)
    {
        var secret = MeshPorts.Contracts.Join.JoinString.Parse(joinString).Secret;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var request = new EnrollRequest
        {
            JoinSecret = secret,
            MachinePublicKey = ByteString.CopyFrom(MachinePublicKey),
            WireguardPublicKey = ByteString.CopyFrom(WireGuardKey),
            RequestedName = requestedName,
            TimestampUnixMs = now,
            Signature = ByteString.CopyFrom(SignatureAlgorithm.Ed25519.Sign(_machine, NodeSignatures.EnrollBytes(MachinePublicKey, WireGuardKey, now, secret))),
        };
        request.Endpoints.AddRange(endpoints);
        return request;
    }

    public async Task<EnrollResponse> EnrollAsync(string joinString, string requestedName = "", params string[] endpoints) =>
        await Client.EnrollAsync(EnrollRequest(joinString, requestedName, endpoints));

    /// <summary>A RotateKey call signed as node.proto says: a fresh nonce, the method, the time and the body hash.</summary>
    public async Task<RotateKeyResponse> RotateKeyAsync(byte[] newKey)
    {
        var request = new RotateKeyRequest { NewWireguardPublicKey = ByteString.CopyFrom(newKey) };
        var challenge = await Client.GetChallengeAsync(new ChallengeRequest { MachinePublicKey = ByteString.CopyFrom(MachinePublicKey) });
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var bodyHash = SHA256.HashData(request.ToByteArray());
        request.Auth = new NodeAuth
        {
            MachinePublicKey = ByteString.CopyFrom(MachinePublicKey),
            Nonce = challenge.Nonce,
            TimestampUnixMs = now,
            Signature = ByteString.CopyFrom(SignatureAlgorithm.Ed25519.Sign(_machine,
                NodeSignatures.AuthBytes(RotateKeyMethod, challenge.Nonce.Span, now, bodyHash))),
        };
        return await Client.RotateKeyAsync(request);
    }

    public void Dispose()
    {
        _channel.Dispose();
        _machine.Dispose();
    }
}
