using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using MeshPorts.Contracts.Auth;
using MeshPorts.Contracts.Join;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Transport;
using NSec.Cryptography;

namespace MeshPorts.RelayHost.Join;

/// <summary>
/// The relay's two calls to its coordinator, over TLS trusted by the join string's pin: Enroll once
/// (with the join string's secret, like a node), then RegisterRelay, signed with the machine key like
/// every node call, which also returns the key tickets are checked with.
/// </summary>
internal sealed class RelayCoordinatorLink : IAsyncDisposable
{
    private const string RegisterMethod = "/meshports.node.v1.NodeControl/RegisterRelay";

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    private readonly GrpcChannel _channel;
    private readonly NodeControl.NodeControlClient _client;
    private readonly RelayIdentity _identity;
    private readonly TimeProvider _time;

    public RelayCoordinatorLink(Uri url, string pin, RelayIdentity identity, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(time);
        if (!CertificatePin.TryParse(pin, out var parsed))
        {
            throw new ArgumentException($"'{pin}' is not a certificate pin", nameof(pin));
        }

        _identity = identity;
        _time = time;
        _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = PinnedHttpHandler.Create(parsed) });
        _client = new NodeControl.NodeControlClient(_channel);
    }

    /// <summary>Enrolls with the join string's secret; the token must carry the relay tag for RegisterRelay to be taken later.</summary>
    public async Task<EnrollResponse> EnrollAsync(JoinString join, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(join);

        // The relay carries no WireGuard traffic of its own, but every node needs a unique key: a fresh random one.
        using var unused = Key.Create(KeyAgreementAlgorithm.X25519);
        var wireGuard = unused.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var machine = _identity.MachinePublicKey;
        var timestamp = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var request = new EnrollRequest
        {
            JoinSecret = join.Secret,
            MachinePublicKey = ByteString.CopyFrom(machine),
            WireguardPublicKey = ByteString.CopyFrom(wireGuard),
            TimestampUnixMs = timestamp,
            Signature = ByteString.CopyFrom(_identity.Sign(NodeSignatures.EnrollBytes(machine, wireGuard, timestamp, join.Secret))),
        };
        return await _client.EnrollAsync(request, deadline: Deadline(), cancellationToken: cancellationToken);
    }

    public async Task<RelayRegistrationResponse> RegisterAsync(RelayRegistration registration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        var request = registration.Clone();
        request.Auth = null;
        var challenge = await _client.GetChallengeAsync(
            new ChallengeRequest { MachinePublicKey = ByteString.CopyFrom(_identity.MachinePublicKey) }, deadline: Deadline(), cancellationToken: cancellationToken);
        var timestamp = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var signed = NodeSignatures.AuthBytes(RegisterMethod, challenge.Nonce.Span, timestamp, SHA256.HashData(request.ToByteArray()));
        request.Auth = new NodeAuth
        {
            MachinePublicKey = ByteString.CopyFrom(_identity.MachinePublicKey),
            Nonce = challenge.Nonce,
            TimestampUnixMs = timestamp,
            Signature = ByteString.CopyFrom(_identity.Sign(signed)),
        };
        return await _client.RegisterRelayAsync(request, deadline: Deadline(), cancellationToken: cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }

    private DateTime Deadline() => _time.GetUtcNow().UtcDateTime + CallTimeout;

    /// <summary>A one-line reason for a failed call, in words a relay operator can act on.</summary>
    public static string Describe(RpcException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.StatusCode switch
        {
            StatusCode.Unavailable => $"the coordinator cannot be reached ({error.Status.Detail})",
            StatusCode.PermissionDenied => error.Status.Detail,
            StatusCode.Unauthenticated => $"the coordinator does not know this relay ({error.Status.Detail}); delete the relay's --data directory and join again",
            _ => $"{error.StatusCode}: {error.Status.Detail}",
        };
    }
}
