using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Security.Tests.Support;

namespace MeshPorts.Security.Tests.Attacks;

/// <summary>
/// Unauthenticated load on the node API from one source (127.0.0.2): GetChallenge for random machine keys
/// and for an enrolled bystander's key, and Enroll with a join secret nobody issued, all at once, while a
/// legitimate node enrolls from 127.0.0.1. The node must get in within its normal time, the flood must not
/// grow the audit log past the failure budget, live nonces must stay bounded, and the refusals are counted.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class LoadAttacks(CoordinatorFixture fixture) : IClassFixture<CoordinatorFixture>
{
    private const int Workers = 6;

    // PRODUCT/CoordinatorOptions defaults: MaxEnrollFailures per source per window, NoncesPerMachineKey.
    private const int EnrollFailureBudget = 5;
    private const int NoncesPerKey = 4;

    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");
    private static readonly TimeSpan LegitimateBudget = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task ChallengeAndEnrollFlood_FromOneSource_NeitherDelaysALegitimateNodeNorGrowsTheAudit()
    {
        var coordinator = fixture.Coordinator;
        using var adminChannel = LoadChannels.Create(coordinator, IPAddress.Loopback);
        var admin = LoadChannels.Admin(coordinator, adminChannel);
        var legitimateClient = new NodeControl.NodeControlClient(adminChannel);
        using var bystander = await ReportingNode.EnrollNewAsync(admin, legitimateClient, "bystander");
        var token = await admin.CreateTokenAsync(new CreateTokenRequest { Name = "legit", Uses = 1 });
        var auditBefore = (await LoadChannels.AuditAsync(admin)).Count;
        var refusedBefore = await LoadChannels.MetricAsync(coordinator, "meshports_challenges_refused_total");
        var limitedBefore = await LoadChannels.MetricAsync(coordinator, "meshports_enroll_rate_limited_total");

        using var floodChannel = LoadChannels.Create(coordinator, Attacker);
        var flood = new NodeControl.NodeControlClient(floodChannel);
        var outcomes = new ConcurrentDictionary<(string Kind, StatusCode Code), int>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var workers = Enumerable.Range(0, Workers).Select(i => Task.Run(() => FloodAsync(flood, bystander.MachinePublicKey, i, outcomes, stop.Token))).ToList();
        await Task.Delay(TimeSpan.FromSeconds(1));

        using var legitimate = new ReportingNode(legitimateClient);
        var clock = Stopwatch.StartNew();
        await legitimate.EnrollAsync(ReportingNode.SecretOf(token.JoinString), "legit");
        await legitimate.AckAsync();
        clock.Stop();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        int Count(string kind, StatusCode? code = null) => outcomes.Where(o => o.Key.Kind == kind && (code is null || o.Key.Code == code)).Sum(o => o.Value);
        var summary = string.Join(", ", outcomes.OrderBy(o => o.Key.Kind).Select(o => $"{o.Key.Kind}/{o.Key.Code}={o.Value}"));
        Assert.True(clock.Elapsed < LegitimateBudget, $"the legitimate node took {clock.Elapsed} to enroll and make a signed call under the flood ({summary})");
        Assert.True(Count("random") > 100 && Count("enroll") > 100, $"the flood was too small to show anything: {summary}");
        Assert.Equal(Count("random"), Count("random", StatusCode.Unauthenticated));
        Assert.Equal(Count("bystander"), Count("bystander", StatusCode.OK));
        Assert.True(Count("enroll", StatusCode.PermissionDenied) <= EnrollFailureBudget, summary);
        Assert.Equal(Count("enroll"), Count("enroll", StatusCode.PermissionDenied) + Count("enroll", StatusCode.ResourceExhausted));

        // The flood wrote at most its failure budget; everything else is the legitimate node's own enrollment and ack.
        var added = (await LoadChannels.AuditAsync(admin)).Skip(auditBefore).ToList();
        var byFlood = added.Where(e => e.Actor != "node:legit").ToList();
        Assert.True(byFlood.Count <= EnrollFailureBudget && byFlood.All(e => e.Kind == "token.failed" && e.Actor == "source:127.0.0.2"),
            $"{byFlood.Count} audit events from the flood: {string.Join(", ", byFlood.Select(e => e.Kind + " by " + e.Actor))}");
        Assert.Contains(added, e => e.Kind == "node.enrolled" && e.Subject == "legit");

        // The bystander's key was asked for thousands of nonces; it holds a few, and the legitimate node used its own.
        Assert.True(await LoadChannels.MetricAsync(coordinator, "meshports_live_nonces") <= 2 * NoncesPerKey);
        Assert.True(await LoadChannels.MetricAsync(coordinator, "meshports_challenges_refused_total") - refusedBefore >= Count("random"));
        Assert.True(await LoadChannels.MetricAsync(coordinator, "meshports_enroll_rate_limited_total") - limitedBefore >= Count("enroll", StatusCode.ResourceExhausted));

        var nodes = (await admin.ListNodesAsync(new ListNodesRequest())).Nodes.Select(n => n.Name).Order(StringComparer.Ordinal);
        Assert.Equal(["bystander", "legit"], nodes);
        Assert.False(coordinator.HasExited, coordinator.Output);
    }

    private static async Task FloodAsync(NodeControl.NodeControlClient flood, byte[] enrolledKey, int worker,
        ConcurrentDictionary<(string Kind, StatusCode Code), int> outcomes, CancellationToken stop)
    {
        using var impostor = new ReportingNode(flood);
        var bogusSecret = "never-issued-" + worker;
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var (kind, call) = (i % 3) switch
            {
                0 => ("random", (Func<Task>)(async () => await flood.GetChallengeAsync(
                    new ChallengeRequest { MachinePublicKey = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(32)) }, cancellationToken: stop))),
                1 => ("bystander", async () => await flood.GetChallengeAsync(
                    new ChallengeRequest { MachinePublicKey = ByteString.CopyFrom(enrolledKey) }, cancellationToken: stop)),
                _ => ("enroll", async () => await flood.EnrollAsync(impostor.EnrollRequest(bogusSecret, "intruder"), cancellationToken: stop)),
            };
            StatusCode code;
            try
            {
                await call();
                code = StatusCode.OK;
            }
            catch (RpcException ex) when (stop.IsCancellationRequested && ex.StatusCode == StatusCode.Cancelled)
            {
                return;
            }
            catch (RpcException ex)
            {
                code = ex.StatusCode;
            }

            outcomes.AddOrUpdate((kind, code), 1, (_, n) => n + 1);
        }
    }
}
