using System.Net;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Security.Tests.Support;

namespace MeshPorts.Security.Tests.Attacks;

/// <summary>
/// Malformed google.protobuf.Duration and Timestamp values (seconds or nanos out of range, mixed signs) in
/// every admin request field that carries one, sent with the admin token: each must be INVALID_ARGUMENT (3)
/// naming the field, never UNKNOWN from a conversion that threw, and must create nothing.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class MalformedTimeAttacks(CoordinatorFixture fixture) : IClassFixture<CoordinatorFixture>
{
    private static readonly Duration[] BadDurations =
    [
        new() { Seconds = 1, Nanos = -1 },
        new() { Seconds = -1, Nanos = 1 },
        new() { Seconds = 315_576_000_001 },
        new() { Seconds = long.MinValue },
        new() { Nanos = 1_000_000_000 },
    ];

    private static readonly Timestamp[] BadTimestamps =
    [
        new() { Seconds = 253_402_300_800 },
        new() { Seconds = -62_135_596_801 },
        new() { Seconds = long.MaxValue },
        new() { Nanos = -1 },
        new() { Nanos = 1_000_000_000 },
    ];

    private static async Task AssertInvalidAsync(string field, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith(field + ":", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateToken_WithAMalformedTtl_IsInvalidArgument_AndCreatesNoToken()
    {
        using var channel = LoadChannels.Create(fixture.Coordinator, IPAddress.Loopback);
        var admin = LoadChannels.Admin(fixture.Coordinator, channel);
        var tokens = (await admin.ListTokensAsync(new ListTokensRequest())).Tokens.Count;
        foreach (var ttl in BadDurations)
        {
            await AssertInvalidAsync("ttl", async () => await admin.CreateTokenAsync(new CreateTokenRequest { Name = "bad-ttl", Ttl = ttl }));
        }

        Assert.Equal(tokens, (await admin.ListTokensAsync(new ListTokensRequest())).Tokens.Count);
        Assert.DoesNotContain(await LoadChannels.AuditAsync(admin), e => e.Kind == "token.created" && e.DetailsJson.Contains("bad-ttl", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddGrant_WithAMalformedDuration_IsInvalidArgument_AndCreatesNoGrant()
    {
        using var channel = LoadChannels.Create(fixture.Coordinator, IPAddress.Loopback);
        var admin = LoadChannels.Admin(fixture.Coordinator, channel);
        var client = new NodeControl.NodeControlClient(channel);
        using var from = await ReportingNode.EnrollNewAsync(admin, client, "time-from");
        using var to = await ReportingNode.EnrollNewAsync(admin, client, "time-to");
        foreach (var duration in BadDurations)
        {
            await AssertInvalidAsync("duration", async () => await admin.AddGrantAsync(
                new AddGrantRequest { From = from.Name, To = to.Name, Port = 22, Protocol = Protocol.Tcp, Duration = duration, Reason = "attack" }));
        }

        Assert.DoesNotContain((await admin.ListGrantsAsync(new ListGrantsRequest { IncludeInactive = true })).Grants, g => g.Reason == "attack");
        Assert.DoesNotContain(await LoadChannels.AuditAsync(admin), e => e.Kind == "grant.added");
    }

    [Fact]
    public async Task CheckAccessAndTheAuditQueries_WithAMalformedTimestamp_AreInvalidArgument()
    {
        using var channel = LoadChannels.Create(fixture.Coordinator, IPAddress.Loopback);
        var admin = LoadChannels.Admin(fixture.Coordinator, channel);
        var client = new NodeControl.NodeControlClient(channel);
        using var from = await ReportingNode.EnrollNewAsync(admin, client, "check-from");
        using var to = await ReportingNode.EnrollNewAsync(admin, client, "check-to");
        var auditBefore = (await LoadChannels.AuditAsync(admin)).Count;
        foreach (var time in BadTimestamps)
        {
            await AssertInvalidAsync("at", async () => await admin.CheckAccessAsync(
                new CheckAccessRequest { From = from.Name, To = to.Name, Port = 22, Protocol = Protocol.Tcp, At = time }));
            await AssertInvalidAsync("since", async () => await admin.ListAuditAsync(new ListAuditRequest { Since = time }));
            using var follow = admin.FollowAudit(new FollowAuditRequest { Since = time });
            await AssertInvalidAsync("since", async () => await follow.ResponseStream.MoveNext(CancellationToken.None));
        }

        Assert.Equal(auditBefore, (await LoadChannels.AuditAsync(admin)).Count);
        Assert.False(fixture.Coordinator.HasExited, fixture.Coordinator.Output);
    }
}
