using System.Net;
using MeshPorts.Node.Agent;
using MeshPorts.Node.Cli;
using MeshPorts.Node.Device;
using MeshPorts.Node.Filter;
using MeshPorts.Node.LocalControl.Status;
using MeshPorts.Node.Metrics;
using MeshPorts.Node.Names;
using MeshPorts.Node.Tests.Agent;
using MeshPorts.WireGuard;

namespace MeshPorts.Node.Tests.Names;

/// <summary>How the name server is tied into up, the filter's rules, status and metrics, and resolved.</summary>
public sealed class NamesWiringTests
{
    private static readonly DateTimeOffset Until = new(2026, 12, 4, 13, 0, 0, TimeSpan.Zero);

    private static MeshView View(bool serveNames)
    {
        var view = new MeshView { ServeNames = serveNames };
        view.Apply(WatchEvents.Snapshot(
            3,
            WatchEvents.Self("self", WatchEvents.Key(100)),
            [WatchEvents.Peer("p1", WatchEvents.Key(1), "100.64.0.11/32", Until), WatchEvents.Peer("p2", WatchEvents.Key(2), "100.64.0.12/32", Until.AddHours(1))],
            [WatchEvents.Grant("g1", "p1", 5432, Until)]));
        return view;
    }

    [Fact]
    public void ServingNames_EachPeerMayAskPort53Udp_UntilItsValidUntil_AndNothingElseIsAdded()
    {
        var rules = View(serveNames: true).ToDeviceConfig().Rules;

        var dns = rules.Where(r => r.Id.StartsWith(MeshView.NamesRulePrefix, StringComparison.Ordinal)).OrderBy(r => r.Id).ToList();
        Assert.Equal(["node:dns/p1", "node:dns/p2"], dns.Select(r => r.Id));
        Assert.All(dns, r => Assert.True(r.Protocol == FilterProtocol.Udp && r.PortFrom == 53 && r.PortTo == 53));
        Assert.Equal([Until, Until.AddHours(1)], dns.Select(r => r.NotAfter!.Value));
        Assert.Equal([MeshIdentity.ForNode("p1"), MeshIdentity.ForNode("p2")], dns.Select(r => r.Peer));
        Assert.Equal(["g1"], rules.Except(dns).Select(r => r.Id));
    }

    [Fact]
    public void WithoutNames_NoPort53RuleExists()
    {
        var rules = View(serveNames: false).ToDeviceConfig().Rules;

        Assert.DoesNotContain(rules, r => r.AllowsPort(FilterProtocol.Udp, 53));
        Assert.Single(rules);
    }

    [Fact]
    public void DnsMalformed_IsADropReason_InMetricsAndStatus()
    {
        var names = new NameCounters();
        names.CountMalformed();
        names.CountMalformed();
        names.CountNotOverlay();

        var totals = DropReasons.Totals(new FilterCounters(), new DeviceCounters(), new EngineCounters(), names: names).ToDictionary();
        Assert.Equal(2, totals["dns-malformed"]);
        Assert.Equal(1, totals["dns-not-overlay"]);
        Assert.Contains("dns-malformed", DropReasons.All);
        Assert.Equal(0, DropReasons.Totals(new FilterCounters(), new DeviceCounters(), new EngineCounters()).ToDictionary()["dns-malformed"]);

        var status = DropCounts.From(new FilterCounters(), new DeviceCounters(), new EngineCounters(), names: names);
        Assert.Equal(2, status["dnsMalformed"]);
        Assert.Equal(1, status["dnsNotOverlay"]);
    }

    [Fact]
    public void Up_ServesNamesByDefault_NoDnsTurnsThemOff_AndHelpSaysSo()
    {
        Assert.True(UpArguments.ParseUp(["--join", "mpj1_x"]).Names);
        Assert.False(UpArguments.ParseUp(["--join", "mpj1_x", "--no-dns"]).Names);
        Assert.Contains("--no-dns", UpArguments.UpUsage, StringComparison.Ordinal);
    }

    // Where this runs, systemd-resolved may not: the commands are checked as built, and the test says which it is.
    [Fact]
    public void SplitDns_ResolvectlCommands_SetDnsAndARoutingOnlyDomain_ThenRevert_CheckedAsBuiltNotRunHere()
    {
        var set = SplitDnsCommands.Set("mp0", IPAddress.Parse("100.64.0.1"), "corp.example.");

        Assert.Equal([["dns", "mp0", "100.64.0.1"], ["domain", "mp0", "~corp.example"]], set);
        Assert.Equal(["revert", "mp0"], SplitDnsCommands.Revert("mp0"));
        Assert.Equal("resolvectl", SplitDnsCommands.Program);
        Console.WriteLine(SplitDns.ResolvedRunning()
            ? "systemd-resolved IS running here: the integration test runs resolvectl for real"
            : "NOTE: systemd-resolved is NOT running here; resolvectl set/revert checked as command lines only, not run");
    }
}
