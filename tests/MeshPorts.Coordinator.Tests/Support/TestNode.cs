using Google.Protobuf;
using Grpc.Core;
using MeshPorts.Contracts.Auth;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Services;
using NSec.Cryptography;

namespace MeshPorts.Coordinator.Tests.Support;

/// <summary>A simulated node: an Ed25519 machine key, a WireGuard public key, and signed calls.</summary>
internal sealed class TestNode : IDisposable
{
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    private readonly Key _machineKey = Key.Create(Ed25519);
    private NodeControl.NodeControlClient _client;
    private readonly TimeProvider _time;

    public TestNode(TestCoordinator coordinator)
        : this(coordinator.Node, coordinator.Time)
    {
    }

    public TestNode(NodeControl.NodeControlClient client, TimeProvider time)
    {
        _time = time;
        _client = client;
        MachinePublicKey = _machineKey.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        WireGuardKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
    }

    public byte[] MachinePublicKey { get; }

    /// <summary>Points the node at a new connection (e.g. after the coordinator restarted), keeping its identity.</summary>
    public void UseClient(NodeControl.NodeControlClient client) => _client = client;

    public byte[] WireGuardKey { get; set; }

    public EnrollResponse? Enrolled { get; private set; }

    public string Name => Enrolled?.Name ?? throw new InvalidOperationException("not enrolled");

    public string Id => Enrolled?.NodeId ?? throw new InvalidOperationException("not enrolled");

    public EnrollRequest EnrollRequest(string secret, string name, long? timestampMs = null)
    {
        var ts = timestampMs ?? _time.GetUtcNow().ToUnixTimeMilliseconds();
        var request = new EnrollRequest
        {
            JoinSecret = secret,
            MachinePublicKey = ByteString.CopyFrom(MachinePublicKey),
            WireguardPublicKey = ByteString.CopyFrom(WireGuardKey),
            RequestedName = name,
            TimestampUnixMs = ts,
            Signature = ByteString.CopyFrom(Ed25519.Sign(_machineKey, NodeSignatures.EnrollBytes(MachinePublicKey, WireGuardKey, ts, secret))),
        };
        request.Services.Add(new ExposedService { Port = 5432, Protocol = Protocol.Tcp, Name = "postgres" });
        request.Endpoints.Add("127.0.0.1:51820");
        return request;
    }

    public async Task<EnrollResponse> EnrollAsync(string secret, string name, long? timestampMs = null)
    {
        Enrolled = await _client.EnrollAsync(EnrollRequest(secret, name, timestampMs));
        return Enrolled;
    }

    /// <summary>Fills in <c>auth</c> the way node.proto says: challenge, then a signature over method, nonce, time and body.</summary>
    public async Task<NodeAuth> SignAsync<T>(T request, string method, long? timestampMs = null)
        where T : IMessage<T>
    {
        var challenge = await _client.GetChallengeAsync(new ChallengeRequest { MachinePublicKey = ByteString.CopyFrom(MachinePublicKey) });
        var ts = timestampMs ?? _time.GetUtcNow().ToUnixTimeMilliseconds();
        var body = NodeControlService.BodyHash(request);
        var signature = Ed25519.Sign(_machineKey, NodeSignatures.AuthBytes(method, challenge.Nonce.Span, ts, body));
        return new NodeAuth
        {
            MachinePublicKey = ByteString.CopyFrom(MachinePublicKey),
            Nonce = challenge.Nonce,
            TimestampUnixMs = ts,
            Signature = ByteString.CopyFrom(signature),
        };
    }

    public async Task<AsyncServerStreamingCall<WatchEvent>> WatchAsync(ulong resumeFrom = 0, CancellationToken cancellationToken = default)
    {
        var request = new WatchRequest { ResumeFromSerial = resumeFrom };
        request.Auth = await SignAsync(request, "/meshports.node.v1.NodeControl/Watch");
        return _client.Watch(request, cancellationToken: cancellationToken);
    }

    public async Task AckAsync(ulong serial)
    {
        var request = new AckRequest { AppliedSerial = serial };
        request.Auth = await SignAsync(request, "/meshports.node.v1.NodeControl/Ack");
        await _client.AckAsync(request);
    }

    public async Task<RotateKeyResponse> RotateAsync(byte[] newKey)
    {
        var request = new RotateKeyRequest { NewWireguardPublicKey = ByteString.CopyFrom(newKey) };
        request.Auth = await SignAsync(request, "/meshports.node.v1.NodeControl/RotateKey");
        return await _client.RotateKeyAsync(request);
    }

    /// <summary>Signs a relay Hello (relay.proto) with this node's machine key.</summary>
    public byte[] SignRelayHello(ReadOnlySpan<byte> challengeNonce, long timestampMs, ReadOnlySpan<byte> serializedTicket) =>
        Ed25519.Sign(_machineKey, Contracts.Relay.RelaySignatures.HelloBytes(challengeNonce, timestampMs, serializedTicket));

    public void Dispose() => _machineKey.Dispose();
}
