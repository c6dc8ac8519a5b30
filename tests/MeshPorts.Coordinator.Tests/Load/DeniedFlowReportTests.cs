using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests.Load;

public sealed class DeniedFlowReportTests
{
    private const string Method = "/meshports.node.v1.NodeControl/ReportDeniedFlows";

    private static DeniedFlow Flow(string source, string destination, uint port, Protocol protocol = Protocol.Tcp, uint count = 1) =>
        new() { SourceAddress = source, DestinationAddress = destination, Port = port, Protocol = protocol, Count = count };

    private static async Task ReportAsync(TestCoordinator c, TestNode node, IEnumerable<DeniedFlow> flows)
    {
        var report = new DeniedFlowReport();
        report.Flows.AddRange(flows);
        report.Auth = await node.SignAsync(report, Method);
        await c.Node.ReportDeniedFlowsAsync(report);
    }

    private static async Task<IReadOnlyList<AuditEvent>> EventsAsync(TestCoordinator c, string kind) =>
        (await c.Admin.ListAuditAsync(new ListAuditRequest())).Events.Where(e => e.Kind == kind).ToList();

    [Fact]
    public async Task Report_WithFlowsNotToTheReporter_OrMalformed_DropsAndCountsThem()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var target = await c.EnrollAsync("target");
        using var other = await c.EnrollAsync("other");
        using var prober = await c.EnrollAsync("prober");
        var from = prober.Enrolled!.OverlayIpv4;
        await ReportAsync(c, target,
        [
            Flow(from, "8.8.8.8", 22),
            Flow(from, other.Enrolled!.OverlayIpv4, 22),
            Flow(from, other.Enrolled!.OverlayIpv6, 22),
            Flow(from, "", 22),
            Flow("not-an-address", target.Enrolled!.OverlayIpv4, 22),
            Flow(from.Replace("100.64.", "100.064.", StringComparison.Ordinal), target.Enrolled!.OverlayIpv4, 22),
            Flow("::ffff:" + from, target.Enrolled!.OverlayIpv4, 22),
            Flow(from, target.Enrolled!.OverlayIpv4, 70_000),
            Flow(from, target.Enrolled!.OverlayIpv4, 22, (Protocol)7),
            Flow(from, target.Enrolled!.OverlayIpv4, 22, count: 0),
        ]);

        Assert.Empty(await EventsAsync(c, "flow.denied"));
        Assert.Equal(10, await MetricsReader.ReadAsync(c, "meshports_denied_flows_dropped_total"));
    }

    [Fact]
    public async Task Report_MixingValidAndForgedFlows_AuditsOnlyTheValidOnes()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var target = await c.EnrollAsync("target");
        using var prober = await c.EnrollAsync("prober");
        await ReportAsync(c, target,
        [
            Flow(prober.Enrolled!.OverlayIpv4, target.Enrolled!.OverlayIpv4, 22),
            Flow(prober.Enrolled!.OverlayIpv6, target.Enrolled!.OverlayIpv6, 0, Protocol.Unspecified, 4),
            Flow(prober.Enrolled!.OverlayIpv4, "8.8.8.8", 22),
        ]);

        var denied = Assert.Single(await EventsAsync(c, "flow.denied"));
        Assert.Contains("\"flows\":2", denied.DetailsJson);
        Assert.Contains("\"dropped\":1", denied.DetailsJson);
        Assert.DoesNotContain("8.8.8.8", denied.DetailsJson);
        Assert.Equal(1, await MetricsReader.ReadAsync(c, "meshports_denied_flows_dropped_total"));
    }

    [Fact]
    public async Task Report_SoonerThanTheReportInterval_IsResourceExhaustedCountedAndNotAudited()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var target = await c.EnrollAsync("target");
        using var prober = await c.EnrollAsync("prober");
        var flow = Flow(prober.Enrolled!.OverlayIpv4, target.Enrolled!.OverlayIpv4, 22);
        await ReportAsync(c, target, [flow]);
        for (var i = 0; i < 5; i++)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => ReportAsync(c, target, [flow]));
            Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        }

        Assert.Single(await EventsAsync(c, "flow.denied"));
        Assert.Equal(5, await MetricsReader.ReadAsync(c, "meshports_denied_reports_refused_total"));

        c.Time.Advance(TimeSpan.FromSeconds(5));
        await ReportAsync(c, target, [flow]);
        Assert.Equal(2, (await EventsAsync(c, "flow.denied")).Count);
    }

    [Fact]
    public async Task Report_WithMoreFlowsThanTheNodesAggregatorHolds_IsRefusedAndNotAudited()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var target = await c.EnrollAsync("target");
        using var prober = await c.EnrollAsync("prober");
        var flows = Enumerable.Range(1, 1025).Select(p => Flow(prober.Enrolled!.OverlayIpv4, target.Enrolled!.OverlayIpv4, (uint)p));
        var ex = await Assert.ThrowsAsync<RpcException>(() => ReportAsync(c, target, flows));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Empty(await EventsAsync(c, "flow.denied"));
        Assert.Empty(await EventsAsync(c, "flow.alert"));
    }

    [Fact]
    public async Task Report_FromAnAddressNoNodeHolds_RaisesNoAlertAndIsMarkedInTheSample()
    {
        await using var c = await TestCoordinator.StartAsync(o => o.ProbeAlertThreshold = 5);
        using var target = await c.EnrollAsync("target");
        await ReportAsync(c, target, Enumerable.Range(1, 50).Select(p => Flow("100.64.0.99", target.Enrolled!.OverlayIpv4, (uint)p)));
        c.Time.Advance(TimeSpan.FromSeconds(10));
        await ReportAsync(c, target, Enumerable.Range(1, 50).Select(p => Flow("8.8.8.8", target.Enrolled!.OverlayIpv4, (uint)p)));

        Assert.Empty(await EventsAsync(c, "flow.alert"));
        var denied = await EventsAsync(c, "flow.denied");
        Assert.Equal(2, denied.Count);
        Assert.Contains("100.64.0.99(not an enrolled node)", denied[0].DetailsJson);
        Assert.Contains("8.8.8.8(not an enrolled node)", denied[1].DetailsJson);
    }
}
