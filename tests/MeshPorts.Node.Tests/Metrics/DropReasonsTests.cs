using System.Text.Json;
using System.Text.RegularExpressions;
using MeshPorts.Node.Device;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Metrics;
using MeshPorts.Node.Paths;
using MeshPorts.Node.Relay;
using MeshPorts.WireGuard;

namespace MeshPorts.Node.Tests.Metrics;

public sealed partial class DropReasonsTests
{
    [Fact]
    public void EveryDropCounter_HasItsOwnReasonLabel_NotTheFallback()
    {
        foreach (var reason in Enum.GetValues<FilterReason>().Where(r => r != FilterReason.None))
        {
            Assert.NotEqual("other", DropReasons.Of(reason));
        }

        foreach (var reason in Enum.GetValues<DropReason>().Where(r => r != DropReason.None))
        {
            Assert.NotEqual("other", DropReasons.Of(reason));
        }

        foreach (var reason in Enum.GetValues<DeviceDrop>())
        {
            Assert.NotEqual("other", DropReasons.Of(reason));
        }

        foreach (var reason in Enum.GetValues<RelayDrop>())
        {
            Assert.NotEqual("other", DropReasons.Of(reason));
        }

        Assert.All(DropReasons.All, r => Assert.Matches("^[a-z][a-z0-9-]*$", r));
    }

    [Fact]
    public void TheReasonsTheIssueNames_Exist() =>
        Assert.Subset(DropReasons.All.ToHashSet(), new HashSet<string> { "malformed", "replay", "filter-denied", "no-peer" });

    [Fact]
    public void DeviceFilteredDrops_AreNotCountedTwice_TheFiltersReasonsCarryThem()
    {
        Assert.Null(DropReasons.Of(DeviceDrop.FilteredInbound));
        Assert.Null(DropReasons.Of(DeviceDrop.FilteredOutbound));
    }

    [Fact]
    public void Totals_SumsCountersSharingALabel_AndListsEveryLabel()
    {
        var filter = new FilterCounters();
        filter.CountDenied(FilterReason.Malformed);
        filter.CountDenied(FilterReason.NotAllowed);
        filter.CountDenied(FilterReason.NotAllowed);
        var device = new DeviceCounters();
        device.Drop(DeviceDrop.MalformedInbound);
        device.Drop(DeviceDrop.FilteredInbound);
        device.Drop(DeviceDrop.NoRoute);

        var totals = DropReasons.Totals(filter, device, new EngineCounters()).ToDictionary();

        Assert.Equal(DropReasons.All.Count, totals.Count);
        Assert.Equal(2, totals["malformed"]);
        Assert.Equal(2, totals["filter-denied"]);
        Assert.Equal(1, totals["no-peer"]);
        Assert.Equal(0, totals["replay"]);
    }

    [Fact]
    public void Totals_CountTheRelayAndProbeDrops_WithMalformedAndReplayShared()
    {
        var relay = new RelayCounters();
        relay.Drop(RelayDrop.Malformed);
        relay.Drop(RelayDrop.Replay);
        relay.Drop(RelayDrop.BadTag);
        relay.Drop(RelayDrop.BadTag);
        relay.Drop(RelayDrop.UnknownSource);
        var probes = new ProbeCounters();
        probes.DropMalformed();
        probes.DropReplay();
        probes.DropBadTag();
        probes.DropFlood();
        probes.DropStale();
        var device = new DeviceCounters();
        device.Drop(DeviceDrop.MalformedInbound);

        var totals = DropReasons.Totals(new FilterCounters(), device, new EngineCounters(), relay, probes).ToDictionary();

        Assert.Equal(DropReasons.All.Count, totals.Count);
        Assert.Equal(3, totals["malformed"]);
        Assert.Equal(2, totals["replay"]);
        Assert.Equal(2, totals["relay-bad-tag"]);
        Assert.Equal(1, totals["relay-unknown-source"]);
        Assert.Equal(1, totals["probe-bad-tag"]);
        Assert.Equal(1, totals["probe-flood"]);
        Assert.Equal(1, totals["probe-stale"]);
        Assert.Equal(0, totals["relay-queue-full"]);
        Assert.Equal(0, totals["probe-unknown-sender"]);
    }

    [Fact]
    public void Totals_WithoutAPathStack_StillListTheRelayAndProbeLabels_AtZero()
    {
        var totals = DropReasons.Totals(new FilterCounters(), new DeviceCounters(), new EngineCounters()).ToDictionary();

        Assert.Equal(0, totals["relay-bad-tag"]);
        Assert.Equal(0, totals["probe-unsolicited"]);
    }

    // The alert rules and the dashboard on main must only name reasons the node counts: a typo there is
    // an alert that can never fire.
    [Fact]
    public void AlertRulesAndDashboard_NameOnlyReasonsTheNodeCounts()
    {
        var root = RepoRoot();
        var rules = File.ReadAllText(Path.Combine(root, "packaging/prometheus/meshports-alerts.yml"));
        var tests = File.ReadAllText(Path.Combine(root, "packaging/prometheus/meshports-alerts.test.yml"));
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "packaging/grafana/meshports-dashboard.json")));
        var exprs = string.Join('\n', Exprs(dashboard.RootElement));

        var named = new List<string>();
        foreach (var text in new[] { rules, tests, exprs })
        {
            named.AddRange(ReasonLabel().Matches(text).Select(m => m.Groups[1].Value));
        }

        Assert.NotEmpty(named);
        Assert.All(named, reason => Assert.Contains(reason, DropReasons.All));
    }

    private static IEnumerable<string> Exprs(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                {
                    yield return property.Value.GetString()!;
                }
                else
                {
                    foreach (var expr in Exprs(property.Value))
                    {
                        yield return expr;
                    }
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var expr in Exprs(item))
                {
                    yield return expr;
                }
            }
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MeshPorts.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no MeshPorts.sln above {AppContext.BaseDirectory}: this test reads packaging/ from the repository");
    }

    // reason="x", reason=~"x|y" in PromQL, and "reason: x" in the promtool test's expected labels.
    [GeneratedRegex("""reason(?:=~?\\?"|: )([a-z0-9-]+)""")]
    private static partial Regex ReasonLabel();
}
