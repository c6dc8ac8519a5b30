using Google.Protobuf;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Security.Tests.Support;

namespace MeshPorts.Security.Tests.Attacks;

/// <summary>
/// Oversized and malformed gRPC messages, with and without credentials: refused without being parsed into
/// state, and the coordinator keeps serving everyone else.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class MalformedMessageAttacks(CoordinatorFixture fixture) : IClassFixture<CoordinatorFixture>
{
    private const int ResourceExhausted = 8;

    [Fact]
    public async Task AnOversizedMessage_IsRefusedAsTooLarge_WithOrWithoutTheAdminToken()
    {
        var coordinator = fixture.Coordinator;
        using var raw = new RawGrpc(coordinator.Url);
        var huge = new string('x', 2 * 1024 * 1024);
        var enroll = await raw.CallAsync("/meshports.node.v1.NodeControl/Enroll", new EnrollRequest { JoinSecret = huge });
        Assert.True(enroll.GrpcStatus == ResourceExhausted, $"a 2 MiB Enroll answered {enroll}");
        var policy = await raw.CallAsync("/meshports.admin.v1.Admin/ApplyPolicy", new PolicyRequest { Text = huge }, bearer: coordinator.AdminToken);
        Assert.True(policy.GrpcStatus == ResourceExhausted, $"a 2 MiB ApplyPolicy answered {policy}");
        await AssertStillServesAsync(raw, coordinator);
    }

    [Fact]
    public async Task BrokenFramesAndGarbage_AreRefused_AndTheCoordinatorKeepsServing()
    {
        var coordinator = fixture.Coordinator;
        using var raw = new RawGrpc(coordinator.Url);
        var garbage = new byte[] { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99 };
        byte[][] bodies =
        [
            RawGrpc.Frame(garbage),                                  // not a protobuf message
            [0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3],                     // a length far past the body
            [0, 0, 0, 0, 10, 1, 2],                                   // a body shorter than its length
            [1, 0, 0, 0, 3, 1, 2, 3],                                 // "compressed" with no grpc-encoding
            [7, 0, 0, 0, 0],                                          // an unknown flag
            [0, 0],                                                   // half a frame header
        ];
        var auditBefore = await AuditCountAsync(raw, coordinator);
        foreach (var body in bodies)
        {
            foreach (var (path, bearer) in new[] { ("/meshports.node.v1.NodeControl/Enroll", (string?)null), ("/meshports.admin.v1.Admin/AddGrant", coordinator.AdminToken) })
            {
                var result = await raw.CallAsync(path, null, bearer: bearer, rawBody: body);
                Assert.True(result.IsRefused, $"{path} with body {Convert.ToHexString(body)} answered {result}");
            }
        }

        Assert.Equal(auditBefore, await AuditCountAsync(raw, coordinator));
        await AssertStillServesAsync(raw, coordinator);
        Assert.False(coordinator.HasExited, coordinator.Output);
    }

    private static async Task<int> AuditCountAsync(RawGrpc raw, LoopbackCoordinator coordinator)
    {
        var result = await raw.CallAsync("/meshports.admin.v1.Admin/ListAudit", new ListAuditRequest(), bearer: coordinator.AdminToken);
        Assert.True(result.GrpcStatus == 0, $"ListAudit answered {result}");
        return ListAuditResponse.Parser.ParseFrom(result.Messages.Single()).Events.Count;
    }

    private static async Task AssertStillServesAsync(RawGrpc raw, LoopbackCoordinator coordinator)
    {
        var list = await raw.CallAsync("/meshports.admin.v1.Admin/ListTokens", new ListTokensRequest(), bearer: coordinator.AdminToken);
        Assert.True(list.GrpcStatus == 0 && list.Messages.Count == 1, $"after the attack ListTokens answered {list}:\n{coordinator.Output}");
    }
}
