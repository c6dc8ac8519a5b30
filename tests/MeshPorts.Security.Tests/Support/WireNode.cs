using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Net.Client;
using MeshPorts.Contracts.Auth;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Transport;
using NSec.Cryptography;

namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// A node as seen on the wire: a machine key and a WireGuard public key, enrolling and signing calls exactly as
/// node.proto says, with every part of a call under the test's control (which key it claims, which method it
/// signs for, whether a nonce is reused), so an attack can take one part away at a time.
/// </summary>
internal sealed class WireNode : IDisposable
{
    private readonly Key _machine = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });

    public WireNode(byte[]? wireGuardKey = null)
    {
        MachinePublicKey = _machine.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        WireGuardPublicKey = wireGuardKey ?? RandomNumberGenerator.GetBytes(32);
    }

    public byte[] MachinePublicKey { get; }

    public byte[] WireGuardPublicKey { get; }

    /// <summary>
    /// A gRPC client that trusts exactly the coordinator's pin, as a node does, connecting from
    /// <paramref name="source"/> (default: a loopback address no other client used, so no other test's
    /// failures count against it).
    /// </summary>
    public static NodeControl.NodeControlClient Client(LoopbackCoordinator coordinator, out GrpcChannel channel, System.Net.IPAddress? source = null)
    {
        Assert.True(CertificatePin.TryParse(coordinator.Pin, out var pin), $"meshctl.conf pin '{coordinator.Pin}' does not parse");
        var handler = PinnedHttpHandler.Create(pin).From(source ?? LoopbackSource.Next());
        channel = GrpcChannel.ForAddress(coordinator.Url, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        return new NodeControl.NodeControlClient(channel);
    }

    public EnrollRequest EnrollRequest(string joinString, string requestedName = "", long? timestampMs = null) =>
        EnrollRequestWithSecret(MeshPorts.Contracts.Join.JoinString.Parse(joinString).Secret, requestedName, timestampMs);

    /// <summary>Enroll as node.proto says, signed over the keys, the time and the secret's hash.</summary>
    public EnrollRequest EnrollRequestWithSecret(string secret, string requestedName = "", long? timestampMs = null)
    {
        var now = timestampMs ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return new EnrollRequest
        {
            JoinSecret = secret,
            MachinePublicKey = ByteString.CopyFrom(MachinePublicKey),
            WireguardPublicKey = ByteString.CopyFrom(WireGuardPublicKey),
            RequestedName = requestedName,
            TimestampUnixMs = now,
            Signature = ByteString.CopyFrom(Sign(NodeSignatures.EnrollBytes(MachinePublicKey, WireGuardPublicKey, now, secret))),
        };
    }

    /// <summary>
    /// Signs <paramref name="request"/> for <paramref name="method"/> with a fresh nonce for <paramref name="claimedKey"/>
    /// (default: this node's own key), the way node.proto's NodeAuth describes.
    /// </summary>
    public async Task<NodeAuth> AuthAsync<T>(NodeControl.NodeControlClient client, string method, T request, byte[]? claimedKey = null)
        where T : IMessage<T>
    {
        var key = claimedKey ?? MachinePublicKey;
        var challenge = await client.GetChallengeAsync(new ChallengeRequest { MachinePublicKey = ByteString.CopyFrom(key) });
        return SignWith(method, request, key, challenge.Nonce.ToByteArray(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    public NodeAuth SignWith<T>(string method, T request, byte[] claimedKey, byte[] nonce, long timestampMs)
        where T : IMessage<T>
    {
        var clone = request.Clone();
        clone.Descriptor.FindFieldByName("auth")?.Accessor.Clear(clone);
        var bodyHash = SHA256.HashData(clone.ToByteArray());
        return new NodeAuth
        {
            MachinePublicKey = ByteString.CopyFrom(claimedKey),
            Nonce = ByteString.CopyFrom(nonce),
            TimestampUnixMs = timestampMs,
            Signature = ByteString.CopyFrom(Sign(NodeSignatures.AuthBytes(method, nonce, timestampMs, bodyHash))),
        };
    }

    private byte[] Sign(byte[] data) => SignatureAlgorithm.Ed25519.Sign(_machine, data);

    public void Dispose() => _machine.Dispose();
}
