using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Security.Tests.Support;

namespace MeshPorts.Security.Tests.Attacks;

/// <summary>
/// Forged denied-flow reports from an enrolled node (its own, valid credentials): flows to addresses that
/// are not the reporter's, a report far larger than a node's aggregator holds, reports faster than a node
/// sends them, and probes "from" addresses no node holds. The coordinator may believe only what the reporter
/// could have seen, must raise no flow.alert naming an address a node typed in, and counts what it refused.
/// Each test enrolls its own nodes, so the per-node report interval of one does not touch another.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class ReportAttacks(CoordinatorFixture fixture) : IClassFixture<CoordinatorFixture>
{
    private static DeniedFlow Flow(string source, string destination, uint port) =>
        new() { SourceAddress = source, DestinationAddress = destination, Port = port, Protocol = Protocol.Tcp, Count = 1 };

    private (GrpcChannel Channel, Admin.AdminClient Admin, NodeControl.NodeControlClient Node) Connect()
    {
        var channel = LoadChannels.Create(fixture.Coordinator, IPAddress.Loopback);
        return (channel, LoadChannels.Admin(fixture.Coordinator, channel), new NodeControl.NodeControlClient(channel));
    }

    /// <summary>The flow.denied and flow.alert events a reporter's reports raised.</summary>
    private static async Task<List<AuditEvent>> FlowEventsByAsync(Admin.AdminClient admin, string reporter) =>
        (await LoadChannels.AuditAsync(admin)).Where(e => e.Actor == "node:" + reporter && e.Kind.StartsWith("flow.", StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task Report_WithAnotherNodesOrAnArbitraryDestination_IsDroppedAndCounted()
    {
        var (channel, admin, node) = Connect();
        using var _ = channel;
        using var reporter = await ReportingNode.EnrollNewAsync(admin, node, "rep-dest");
        using var victim = await ReportingNode.EnrollNewAsync(admin, node, "victim-dest");
        var dropped = await LoadChannels.MetricAsync(fixture.Coordinator, "meshports_denied_flows_dropped_total");
        var from = reporter.Enrolled!.OverlayIpv4;
        var flows = Enumerable.Range(1, 20).SelectMany(p => new[]
        {
            Flow(victim.Enrolled!.OverlayIpv4, "8.8.8.8", (uint)p),
            Flow(from, victim.Enrolled!.OverlayIpv4, (uint)p),
            Flow("8.8.8.8", victim.Enrolled!.OverlayIpv6, (uint)p),
        }).ToList();

        await reporter.ReportAsync(flows);

        Assert.Empty(await FlowEventsByAsync(admin, reporter.Name));
        Assert.Equal(dropped + flows.Count, await LoadChannels.MetricAsync(fixture.Coordinator, "meshports_denied_flows_dropped_total"));
        Assert.DoesNotContain(await LoadChannels.AuditAsync(admin), e => e.Kind == "flow.alert" && (e.Subject == "8.8.8.8" || e.Subject == victim.Name));
    }

    [Theory]
    [InlineData(1_025)]
    [InlineData(60_000)]
    public async Task Report_LargerThanANodesAggregatorHolds_IsRefusedAndNothingIsAudited(int count)
    {
        var (channel, admin, node) = Connect();
        using var _ = channel;
        using var reporter = await ReportingNode.EnrollNewAsync(admin, node, "rep-huge-" + count);
        using var prober = await ReportingNode.EnrollNewAsync(admin, node, "prober-huge-" + count);
        var flows = Enumerable.Range(0, count).Select(p => Flow(prober.Enrolled!.OverlayIpv4, reporter.Enrolled!.OverlayIpv4, (uint)(p % 65536)));

        var ex = await Assert.ThrowsAsync<RpcException>(() => reporter.ReportAsync(flows));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Empty(await FlowEventsByAsync(admin, reporter.Name));
        Assert.False(fixture.Coordinator.HasExited, fixture.Coordinator.Output);
    }

    [Fact]
    public async Task Reports_FasterThanANodeSendsThem_AreRefusedCountedAndNotAudited()
    {
        var (channel, admin, node) = Connect();
        using var _ = channel;
        using var reporter = await ReportingNode.EnrollNewAsync(admin, node, "rep-fast");
        using var prober = await ReportingNode.EnrollNewAsync(admin, node, "prober-fast");
        var refused = await LoadChannels.MetricAsync(fixture.Coordinator, "meshports_denied_reports_refused_total");
        var flow = Flow(prober.Enrolled!.OverlayIpv4, reporter.Enrolled!.OverlayIpv4, 22);
        await reporter.ReportAsync([flow]);
        var codes = new List<StatusCode>();
        for (var i = 0; i < 20; i++)
        {
            codes.Add((await Assert.ThrowsAsync<RpcException>(() => reporter.ReportAsync([flow]))).StatusCode);
        }

        Assert.All(codes, c => Assert.Equal(StatusCode.ResourceExhausted, c));
        Assert.Single(await FlowEventsByAsync(admin, reporter.Name), e => e.Kind == "flow.denied");
        Assert.Equal(refused + 20, await LoadChannels.MetricAsync(fixture.Coordinator, "meshports_denied_reports_refused_total"));
    }

    [Fact]
    public async Task Probe_FromAnAddressNoNodeHolds_RaisesNoAlertNamingIt_WhileAnEnrolledProberIsNamed()
    {
        var (channel, admin, node) = Connect();
        using var _ = channel;
        using var forger = await ReportingNode.EnrollNewAsync(admin, node, "rep-forge");
        using var honest = await ReportingNode.EnrollNewAsync(admin, node, "rep-honest");
        using var prober = await ReportingNode.EnrollNewAsync(admin, node, "prober-real");

        // Far past the default threshold of 10 distinct targets, from addresses that are nobody's overlay address.
        await forger.ReportAsync(Enumerable.Range(1, 50).Select(p => Flow("8.8.8.8", forger.Enrolled!.OverlayIpv4, (uint)p))
            .Concat(Enumerable.Range(1, 50).Select(p => Flow("100.64.255.254", forger.Enrolled!.OverlayIpv4, (uint)p))));
        await honest.ReportAsync(Enumerable.Range(1, 50).Select(p => Flow(prober.Enrolled!.OverlayIpv4, honest.Enrolled!.OverlayIpv4, (uint)p)));

        var audit = await LoadChannels.AuditAsync(admin);
        Assert.DoesNotContain(audit, e => e.Kind == "flow.alert" && (e.Subject is "8.8.8.8" or "100.64.255.254" || e.Actor == "node:" + forger.Name));
        var denied = Assert.Single(audit, e => e.Kind == "flow.denied" && e.Actor == "node:" + forger.Name);
        Assert.Contains("8.8.8.8(not an enrolled node)", denied.DetailsJson);
        var alert = Assert.Single(audit, e => e.Kind == "flow.alert" && e.Actor == "node:" + honest.Name);
        Assert.Equal(prober.Name, alert.Subject);
    }
}
