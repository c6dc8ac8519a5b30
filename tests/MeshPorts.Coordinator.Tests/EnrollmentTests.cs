using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Transport;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests;

public sealed class EnrollmentTests
{
    [Fact]
    public async Task Enroll_WithValidJoinString_AssignsNameAddressesAndKeyExpiry()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (token, join, secret) = await c.CreateTokenAsync("db-1", "alice", ["db"]);
        Assert.StartsWith("mpj1_", join);
        Assert.True(Contracts.Join.JoinString.TryDecode(join, out var decoded, out _));
        Assert.Equal(c.Host.PublicUrl.GetLeftPart(UriPartial.Authority), decoded.Url.GetLeftPart(UriPartial.Authority));
        Assert.Equal(c.Host.Pin, decoded.Pin);

        using var node = new TestNode(c);
        var r = await node.EnrollAsync(secret, "");
        Assert.Equal("db-1", r.Name);
        Assert.StartsWith("100.64.", r.OverlayIpv4);
        Assert.StartsWith("fd", r.OverlayIpv6);
        Assert.Equal("alice", r.User);
        Assert.Equal(["db"], r.Tags);
        Assert.Equal(c.Time.GetUtcNow().AddHours(1).ToUnixTimeSeconds(), r.KeyExpiresAt.ToDateTimeOffset().ToUnixTimeSeconds());

        var nodes = await c.Admin.ListNodesAsync(new ListNodesRequest());
        Assert.Equal("db-1", Assert.Single(nodes.Nodes).Name);
        var tokens = await c.Admin.ListTokensAsync(new ListTokensRequest());
        Assert.Equal(0u, tokens.Tokens.Single(t => t.Id == token.Id).UsesLeft);
    }

    [Fact]
    public async Task Enroll_ManyRacersOnSingleUseToken_ExactlyOneWins()
    {
        await using var c = await TestCoordinator.StartAsync(o => o.MaxEnrollFailures = 1000);
        var (_, _, secret) = await c.CreateTokenAsync("racer");
        var nodes = Enumerable.Range(0, 16).Select(_ => new TestNode(c)).ToList();
        var results = await Task.WhenAll(nodes.Select(n => c.TryAsync(() => n.EnrollAsync(secret, ""))));
        Assert.Equal(1, results.Count(r => r.Ok));
        Assert.All(results.Where(r => !r.Ok), r => Assert.Equal(StatusCode.PermissionDenied, r.Error!.StatusCode));
        Assert.Single((await c.Admin.ListNodesAsync(new ListNodesRequest())).Nodes);
        foreach (var n in nodes)
        {
            n.Dispose();
        }
    }

    [Fact]
    public async Task Enroll_WithReusedToken_IsRejectedAndAudited()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (_, _, secret) = await c.CreateTokenAsync("a");
        using var first = new TestNode(c);
        await first.EnrollAsync(secret, "");
        using var second = new TestNode(c);
        var ex = await Assert.ThrowsAsync<RpcException>(() => second.EnrollAsync(secret, ""));
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("already been used", ex.Status.Detail);
        var audit = await c.Admin.ListAuditAsync(new ListAuditRequest());
        Assert.Contains(audit.Events, e => e.Kind == "token.failed" && e.Outcome == "denied");
    }

    [Fact]
    public async Task Enroll_WithExpiredToken_IsRejected()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (_, _, secret) = await c.CreateTokenAsync("late");
        c.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        using var node = new TestNode(c);
        var ex = await Assert.ThrowsAsync<RpcException>(() => node.EnrollAsync(secret, ""));
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Contains("expired", ex.Status.Detail);
        Assert.Empty((await c.Admin.ListNodesAsync(new ListNodesRequest())).Nodes);
    }

    [Fact]
    public async Task Enroll_WithUnknownSecret_IsRejectedAndThenRateLimited()
    {
        await using var c = await TestCoordinator.StartAsync(o => o.MaxEnrollFailures = 3);
        using var node = new TestNode(c);
        for (var i = 0; i < 3; i++)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => node.EnrollAsync("not-a-secret", "x"));
            Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        }

        var limited = await Assert.ThrowsAsync<RpcException>(() => node.EnrollAsync("not-a-secret", "x"));
        Assert.Equal(StatusCode.ResourceExhausted, limited.StatusCode);
    }

    [Fact]
    public async Task Enroll_DuplicateName_IsRefusedNotRenamedQuietly()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("web");
        var ex = await Assert.ThrowsAsync<RpcException>(() => c.EnrollAsync("web"));
        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Contains("meshctl nodes remove web", ex.Status.Detail);
        using var b = await c.EnrollAsync("web-2");
        Assert.Equal("web", a.Name);
        Assert.Equal("web-2", b.Name);
        Assert.NotEqual(a.Enrolled!.OverlayIpv4, b.Enrolled!.OverlayIpv4);
        Assert.Equal(["web", "web-2"], (await c.Admin.ListNodesAsync(new ListNodesRequest())).Nodes.Select(n => n.Name));
    }

    [Fact]
    public async Task Enroll_Refusals_CarryTheirErrorKind_SoClientsNeedNotReadTheMessage()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (_, _, secret) = await c.CreateTokenAsync(uses: 3);
        using var first = new TestNode(c);
        await first.EnrollAsync(secret, "");

        // The same machine again: its own lost enrollment, which the node recovers from. (A token's name held by
        // another node is the same code with kind name-taken; that refusal is reached only by a race between
        // replicas, and the node's side of it is CoordinatorErrorKindTests.)
        var again = await Assert.ThrowsAsync<RpcException>(() => first.EnrollAsync(secret, ""));
        Assert.Equal(StatusCode.AlreadyExists, again.StatusCode);
        Assert.Equal(ErrorKinds.MachineEnrolled, again.Trailers.GetValue(ErrorKinds.TrailerKey));
        Assert.Contains("already enrolled", again.Status.Detail);

        // A refusal that needs no kind carries none.
        using var second = new TestNode(c);
        var bad = await Assert.ThrowsAsync<RpcException>(() => second.EnrollAsync("mpj-not-a-secret", ""));
        Assert.Null(bad.Trailers.GetValue(ErrorKinds.TrailerKey));
        Assert.Single((await c.Admin.ListNodesAsync(new ListNodesRequest())).Nodes);
    }

    [Fact]
    public async Task Enroll_WithClockSkew_IsRejectedWithClearErrorAndNothingChanged()
    {
        await using var c = await TestCoordinator.StartAsync();
        var (token, _, secret) = await c.CreateTokenAsync("skewed");
        using var node = new TestNode(c);
        var skewed = c.Time.GetUtcNow().AddMinutes(5).ToUnixTimeMilliseconds();
        var ex = await Assert.ThrowsAsync<RpcException>(() => node.EnrollAsync(secret, "", skewed));
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal(ErrorKinds.ClockSkew, ex.Trailers.GetValue(ErrorKinds.TrailerKey));
        Assert.Contains("clock skew", ex.Status.Detail);
        Assert.Contains("NTP", ex.Status.Detail);
        Assert.Empty((await c.Admin.ListNodesAsync(new ListNodesRequest())).Nodes);
        Assert.Equal(1u, (await c.Admin.ListTokensAsync(new ListTokensRequest())).Tokens.Single(t => t.Id == token.Id).UsesLeft);
    }

    [Fact]
    public async Task SignedCall_WithSkewedClock_IsRejected()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var node = await c.EnrollAsync("n1");
        var request = new Contracts.Node.AckRequest { AppliedSerial = 0 };
        request.Auth = await node.SignAsync(request, "/meshports.node.v1.NodeControl/Ack", c.Time.GetUtcNow().AddMinutes(-10).ToUnixTimeMilliseconds());
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await c.Node.AckAsync(request));
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal(ErrorKinds.ClockSkew, ex.Trailers.GetValue(ErrorKinds.TrailerKey));
        Assert.Contains("clock skew", ex.Status.Detail);
    }

    [Fact]
    public async Task SignedCall_ReplayedNonceOrAlteredBody_IsRejected()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var node = await c.EnrollAsync("n1");
        var request = new Contracts.Node.AckRequest { AppliedSerial = 0 };
        request.Auth = await node.SignAsync(request, "/meshports.node.v1.NodeControl/Ack");
        await c.Node.AckAsync(request);
        var replay = await Assert.ThrowsAsync<RpcException>(async () => await c.Node.AckAsync(request));
        Assert.Equal(StatusCode.Unauthenticated, replay.StatusCode);
        Assert.Equal(ErrorKinds.NonceRejected, replay.Trailers.GetValue(ErrorKinds.TrailerKey));

        var altered = new Contracts.Node.AckRequest { AppliedSerial = 0 };
        altered.Auth = await node.SignAsync(altered, "/meshports.node.v1.NodeControl/Ack");
        altered.AppliedSerial = 1;
        var tampered = await Assert.ThrowsAsync<RpcException>(async () => await c.Node.AckAsync(altered));
        Assert.Equal(StatusCode.Unauthenticated, tampered.StatusCode);
        Assert.Null(tampered.Trailers.GetValue(ErrorKinds.TrailerKey));
    }

    [Fact]
    public async Task AdminCall_WithoutCredential_IsUnauthenticated()
    {
        await using var c = await TestCoordinator.StartAsync();
        var anonymous = new Contracts.Admin.Admin.AdminClient(c.Channel);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await anonymous.ListNodesAsync(new ListNodesRequest()));
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task Client_WithWrongPin_CannotConnect()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var channel = TestCoordinator.CreateChannel(c.Host.PublicUrl, "sha256:" + new string('0', 64));
        var client = new Contracts.Node.NodeControl.NodeControlClient(channel);
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.GetChallengeAsync(new Contracts.Node.ChallengeRequest { MachinePublicKey = Google.Protobuf.ByteString.CopyFrom(new byte[32]) }));
        Assert.NotEqual(StatusCode.OK, ex.StatusCode);
        var inner = ex.Status.DebugException;
        while (inner is not null and not System.Security.Authentication.AuthenticationException)
        {
            inner = inner.InnerException;
        }

        Assert.IsType<System.Security.Authentication.AuthenticationException>(inner);
    }
}
