using Google.Protobuf;
using Grpc.Core;
using MeshPorts.Contracts.Node;
using MeshPorts.Security.Tests.Support;

namespace MeshPorts.Security.Tests.Attacks;

/// <summary>
/// Attacks by an enrolled node (or anyone who saw its traffic) on other nodes' identities and on the per-call
/// signatures: calls made as another node, replayed nonces and signatures, a signature moved to another
/// method or another body. Each must be refused and leave the victim as it was.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class NodeAuthAttacks(CoordinatorFixture fixture) : IClassFixture<CoordinatorFixture>
{
    private const string AckMethod = "/meshports.node.v1.NodeControl/Ack";
    private const string RotateMethod = "/meshports.node.v1.NodeControl/RotateKey";

    [Fact]
    public async Task Ack_ClaimingAnotherNodesMachineKey_IsRefused_AndTheVictimsSerialIsUnchanged()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var client = WireNode.Client(fixture.Coordinator, out var channel);
        using var _ = channel;
        using var attacker = await EnrolledAsync(admin, client, AdminApi.UniqueName("attacker"));
        var victimName = AdminApi.UniqueName("victim");
        using var victim = await EnrolledAsync(admin, client, victimName);
        var before = (await admin.NodesAsync()).Single(n => n.Name == victimName);

        // A nonce asked for the victim's (public) machine key, signed with the attacker's own key.
        var request = new AckRequest { AppliedSerial = 1 };
        request.Auth = await attacker.AuthAsync(client, AckMethod, request, claimedKey: victim.MachinePublicKey);
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.AckAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);

        var after = (await admin.NodesAsync()).Single(n => n.Name == victimName);
        Assert.Equal(before.AppliedSerial, after.AppliedSerial);
        Assert.Equal(before.LastSeen, after.LastSeen);
    }

    [Fact]
    public async Task Watch_ClaimingAnotherNodesMachineKey_IsRefusedBeforeAnyEvent()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var client = WireNode.Client(fixture.Coordinator, out var channel);
        using var _ = channel;
        using var attacker = await EnrolledAsync(admin, client, AdminApi.UniqueName("attacker"));
        using var victim = await EnrolledAsync(admin, client, AdminApi.UniqueName("victim"));

        var request = new WatchRequest();
        request.Auth = await attacker.AuthAsync(client, "/meshports.node.v1.NodeControl/Watch", request, claimedKey: victim.MachinePublicKey);
        using var call = client.Watch(request);
        var refused = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    [Fact]
    public async Task ASignedCall_ReplayedWithItsNonce_IsRefusedTheSecondTime()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var client = WireNode.Client(fixture.Coordinator, out var channel);
        using var _ = channel;
        using var node = await EnrolledAsync(admin, client, AdminApi.UniqueName("replayed"));

        var request = new AckRequest { AppliedSerial = 0 };
        request.Auth = await node.AuthAsync(client, AckMethod, request);
        await client.AckAsync(request);
        var auditBefore = await admin.AuditCountAsync();
        var replay = await Assert.ThrowsAsync<RpcException>(() => client.AckAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, replay.StatusCode);
        Assert.Contains("nonce", replay.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(auditBefore, await admin.AuditCountAsync());
    }

    [Fact]
    public async Task ASignature_MovedToAnotherMethodOrBody_IsRefused_AndTheKeyIsNotRotated()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var client = WireNode.Client(fixture.Coordinator, out var channel);
        using var _ = channel;
        var name = AdminApi.UniqueName("moved");
        using var node = await EnrolledAsync(admin, client, name);
        var keyBefore = (await admin.NodesAsync()).Single(n => n.Name == name).PublicKey;

        // Signed as an Ack, sent as a RotateKey to a key of the attacker's choosing.
        var rotate = new RotateKeyRequest { NewWireguardPublicKey = ByteString.CopyFrom(new byte[32]) };
        rotate.Auth = await node.AuthAsync(client, AckMethod, rotate);
        var wrongMethod = await Assert.ThrowsAsync<RpcException>(() => client.RotateKeyAsync(rotate).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, wrongMethod.StatusCode);

        // Signed for RotateKey to one key, the body swapped for another key.
        var honest = new RotateKeyRequest { NewWireguardPublicKey = ByteString.CopyFrom(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) };
        var auth = await node.AuthAsync(client, RotateMethod, honest);
        var swapped = new RotateKeyRequest { NewWireguardPublicKey = ByteString.CopyFrom(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), Auth = auth };
        var wrongBody = await Assert.ThrowsAsync<RpcException>(() => client.RotateKeyAsync(swapped).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, wrongBody.StatusCode);

        Assert.Equal(keyBefore, (await admin.NodesAsync()).Single(n => n.Name == name).PublicKey);
    }

    [Fact]
    public async Task ACall_WithTheNonceOfAnotherMachineKey_IsRefused()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var client = WireNode.Client(fixture.Coordinator, out var channel);
        using var _ = channel;
        using var attacker = await EnrolledAsync(admin, client, AdminApi.UniqueName("attacker"));
        using var victim = await EnrolledAsync(admin, client, AdminApi.UniqueName("victim"));

        // The nonce was issued for the victim's key; the attacker signs with its own key and claims its own key.
        var challenge = await client.GetChallengeAsync(new ChallengeRequest { MachinePublicKey = ByteString.CopyFrom(victim.MachinePublicKey) });
        var request = new AckRequest();
        request.Auth = attacker.SignWith(AckMethod, request, attacker.MachinePublicKey, challenge.Nonce.ToByteArray(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.AckAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    [Fact]
    public async Task ACall_WithATimestampOutsideTheSkewBound_IsRefused()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var client = WireNode.Client(fixture.Coordinator, out var channel);
        using var _ = channel;
        using var node = await EnrolledAsync(admin, client, AdminApi.UniqueName("skewed"));
        var challenge = await client.GetChallengeAsync(new ChallengeRequest { MachinePublicKey = ByteString.CopyFrom(node.MachinePublicKey) });
        var request = new AckRequest();
        request.Auth = node.SignWith(AckMethod, request, node.MachinePublicKey, challenge.Nonce.ToByteArray(),
            DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds());
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.AckAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
    }

    [Fact]
    public async Task EveryNodeMethod_WithoutAuth_IsRefused()
    {
        var client = WireNode.Client(fixture.Coordinator, out var channel);
        using var _ = channel;
        var calls = new Func<Task>[]
        {
            () => client.AckAsync(new AckRequest()).ResponseAsync,
            () => client.RotateKeyAsync(new RotateKeyRequest { NewWireguardPublicKey = ByteString.CopyFrom(new byte[32]) }).ResponseAsync,
            () => client.ReportDeniedFlowsAsync(new DeniedFlowReport()).ResponseAsync,
            async () =>
            {
                using var watch = client.Watch(new WatchRequest());
                await watch.ResponseStream.MoveNext(CancellationToken.None);
            },
        };
        foreach (var call in calls)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        }
    }

    /// <summary>A node enrolled with a single-use token of its own name.</summary>
    private static async Task<WireNode> EnrolledAsync(AdminApi admin, NodeControl.NodeControlClient client, string name)
    {
        var node = new WireNode();
        await client.EnrollAsync(node.EnrollRequest(await admin.JoinAsync(name)));
        return node;
    }
}
