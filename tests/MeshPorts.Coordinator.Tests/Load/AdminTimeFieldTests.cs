using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests.Load;

public sealed class AdminTimeFieldTests
{
    public static TheoryData<long, int> BadDurations => new()
    {
        { 1, -1 },
        { -1, 1 },
        { 315_576_000_001, 0 },
        { long.MinValue, 0 },
        { 0, 1_000_000_000 },
    };

    public static TheoryData<long, int> BadTimestamps => new()
    {
        { 253_402_300_800, 0 },
        { -62_135_596_801, 0 },
        { 0, -1 },
        { 0, 1_000_000_000 },
    };

    private static void AssertInvalid(RpcException ex, string field)
    {
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith(field + ":", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadDurations))]
    public async Task CreateToken_WithAMalformedTtl_IsInvalidArgumentAndCreatesNothing(long seconds, int nanos)
    {
        await using var c = await TestCoordinator.StartAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await c.Admin.CreateTokenAsync(new CreateTokenRequest { Name = "n", Ttl = new Duration { Seconds = seconds, Nanos = nanos } }));
        AssertInvalid(ex, "ttl");
        Assert.Empty((await c.Admin.ListTokensAsync(new ListTokensRequest())).Tokens);
        Assert.DoesNotContain((await c.Admin.ListAuditAsync(new ListAuditRequest())).Events, e => e.Kind == "token.created");
    }

    [Theory]
    [MemberData(nameof(BadDurations))]
    public async Task AddGrant_WithAMalformedDuration_IsInvalidArgumentAndCreatesNothing(long seconds, int nanos)
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await c.Admin.AddGrantAsync(new AddGrantRequest
        {
            From = "a",
            To = "b",
            Port = 22,
            Duration = new Duration { Seconds = seconds, Nanos = nanos },
        }));
        AssertInvalid(ex, "duration");
        Assert.Empty((await c.Admin.ListGrantsAsync(new ListGrantsRequest { IncludeInactive = true })).Grants);
    }

    [Theory]
    [MemberData(nameof(BadTimestamps))]
    public async Task CheckAccess_WithAMalformedAt_IsInvalidArgument(long seconds, int nanos)
    {
        await using var c = await TestCoordinator.StartAsync();
        using var a = await c.EnrollAsync("a");
        using var b = await c.EnrollAsync("b");
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await c.Admin.CheckAccessAsync(new CheckAccessRequest
        {
            From = "a",
            To = "b",
            Port = 22,
            At = new Timestamp { Seconds = seconds, Nanos = nanos },
        }));
        AssertInvalid(ex, "at");
    }

    [Theory]
    [MemberData(nameof(BadTimestamps))]
    public async Task ListAuditAndFollowAudit_WithAMalformedSince_AreInvalidArgument(long seconds, int nanos)
    {
        await using var c = await TestCoordinator.StartAsync();
        var since = new Timestamp { Seconds = seconds, Nanos = nanos };
        AssertInvalid(await Assert.ThrowsAsync<RpcException>(async () => await c.Admin.ListAuditAsync(new ListAuditRequest { Since = since })), "since");

        using var follow = c.Admin.FollowAudit(new FollowAuditRequest { Since = since });
        AssertInvalid(await Assert.ThrowsAsync<RpcException>(async () => await follow.ResponseStream.MoveNext(CancellationToken.None)), "since");
    }

    [Fact]
    public async Task CreateToken_WithTheLargestValidTimestampLikeValues_StillWorks()
    {
        await using var c = await TestCoordinator.StartAsync();
        var created = await c.Admin.CreateTokenAsync(new CreateTokenRequest { Name = "n", Ttl = new Duration { Seconds = 3599, Nanos = 999_999_999 } });
        Assert.False(string.IsNullOrEmpty(created.JoinString));
        var events = await c.Admin.ListAuditAsync(new ListAuditRequest { Since = new Timestamp { Seconds = 0, Nanos = 999_999_999 } });
        Assert.Contains(events.Events, e => e.Kind == "token.created");
    }
}
