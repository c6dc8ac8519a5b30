using Google.Protobuf;
using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests.Load;

public sealed class ChallengeAndEnrollLoadTests
{
    [Fact]
    public async Task GetChallenge_ForAKeyThatIsNotEnrolled_IsUnauthenticatedCountedAndHoldsNoNonce()
    {
        await using var c = await TestCoordinator.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            var key = ByteString.CopyFrom(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            var ex = await Assert.ThrowsAsync<RpcException>(async () => await c.Node.GetChallengeAsync(new ChallengeRequest { MachinePublicKey = key }));
            Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        }

        Assert.Equal(5, await MetricsReader.ReadAsync(c, "meshports_challenges_refused_total"));
        Assert.Equal(0, await MetricsReader.ReadAsync(c, "meshports_live_nonces"));
    }

    [Fact]
    public async Task GetChallenge_ManyTimesForOneKey_KeepsAFewNoncesAndDropsTheOldest()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var node = await c.EnrollAsync("n1");
        var ack = new AckRequest { AppliedSerial = 0 };
        ack.Auth = await node.SignAsync(ack, "/meshports.node.v1.NodeControl/Ack");
        for (var i = 0; i < 50; i++)
        {
            await c.Node.GetChallengeAsync(new ChallengeRequest { MachinePublicKey = ByteString.CopyFrom(node.MachinePublicKey) });
        }

        Assert.Equal(4, await MetricsReader.ReadAsync(c, "meshports_live_nonces"));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await c.Node.AckAsync(ack));
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        await node.AckAsync(0);
    }

    [Fact]
    public async Task Enroll_FailuresPastTheLimit_AreCountedNotAudited()
    {
        await using var c = await TestCoordinator.StartAsync(o => o.MaxEnrollFailures = 3);
        using var node = new TestNode(c);
        var codes = new List<StatusCode>();
        for (var i = 0; i < 20; i++)
        {
            codes.Add((await Assert.ThrowsAsync<RpcException>(() => node.EnrollAsync("not-a-secret", "x"))).StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(StatusCode.PermissionDenied, 3).Concat(Enumerable.Repeat(StatusCode.ResourceExhausted, 17)), codes);
        var events = (await c.Admin.ListAuditAsync(new ListAuditRequest())).Events;
        Assert.Equal(3, events.Count(e => e.Kind == "token.failed"));
        Assert.Equal(17, await MetricsReader.ReadAsync(c, "meshports_enroll_rate_limited_total"));
        Assert.Equal(20, await MetricsReader.ReadAsync(c, "meshports_enrollment_failures_total"));
    }

    [Fact]
    public async Task Enroll_ConcurrentFailuresFromOneSource_AuditOnlyTheBudget()
    {
        await using var c = await TestCoordinator.StartAsync(o => o.MaxEnrollFailures = 3);
        var nodes = Enumerable.Range(0, 40).Select(_ => new TestNode(c)).ToList();
        await Task.WhenAll(nodes.Select(n => c.TryAsync(() => n.EnrollAsync("not-a-secret", "x"))));
        var events = (await c.Admin.ListAuditAsync(new ListAuditRequest())).Events;
        Assert.Equal(3, events.Count(e => e.Kind == "token.failed"));
        nodes.ForEach(n => n.Dispose());
    }
}
