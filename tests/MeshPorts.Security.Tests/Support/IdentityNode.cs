using Google.Protobuf;
using Grpc.Net.Client;
using MeshPorts.Contracts.Node;

namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// A node as the identity attacks need it: a <see cref="WireNode"/> (its own machine key, a WireGuard public
/// key the test may set to someone else's) with its own client, enrollment with any requested name and
/// endpoints, and signed RotateKey calls. Each one connects from a loopback address of its own, so the
/// coordinator's per-source failure limit never turns one attack's refusal into another's RESOURCE_EXHAUSTED.
/// </summary>
internal sealed class IdentityNode : IDisposable
{
    private const string RotateKeyMethod = "/meshports.node.v1.NodeControl/RotateKey";

    private readonly WireNode _wire;
    private readonly GrpcChannel _channel;

    public IdentityNode(LoopbackCoordinator coordinator, byte[]? wireGuardKey = null)
    {
        _wire = new WireNode(wireGuardKey);
        Client = WireNode.Client(coordinator, out _channel);
    }

    public NodeControl.NodeControlClient Client { get; }

    public byte[] MachinePublicKey => _wire.MachinePublicKey;

    public byte[] WireGuardKey => _wire.WireGuardPublicKey;

    public EnrollRequest EnrollRequest(string joinString, string requestedName = "", params string[] endpoints)
    {
        var request = _wire.EnrollRequest(joinString, requestedName);
        request.Endpoints.AddRange(endpoints);
        return request;
    }

    public async Task<EnrollResponse> EnrollAsync(string joinString, string requestedName = "", params string[] endpoints) =>
        await Client.EnrollAsync(EnrollRequest(joinString, requestedName, endpoints));

    /// <summary>A RotateKey call signed as node.proto says: a fresh nonce, the method, the time and the body hash.</summary>
    public async Task<RotateKeyResponse> RotateKeyAsync(byte[] newKey)
    {
        var request = new RotateKeyRequest { NewWireguardPublicKey = ByteString.CopyFrom(newKey) };
        request.Auth = await _wire.AuthAsync(Client, RotateKeyMethod, request);
        return await Client.RotateKeyAsync(request);
    }

    public void Dispose()
    {
        _channel.Dispose();
        _wire.Dispose();
    }
}
