using System.Globalization;
using MeshPorts.Integration.Tests.Harness;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Tests.Mesh;

/// <summary>
/// `up --metrics-listen` end to end: db serves /metrics on its loopback, scraped with `curl` in its
/// namespace as an operator's Prometheus would; the numbers follow real traffic, a filter refusal and
/// a grant's end.
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class NodeMetricsTests
{
    private const string Url = "http://127.0.0.1:9586/metrics";

    [Fact(Timeout = 240_000)]
    public async Task Metrics_FollowTrafficFilterDenialsAndGrantEnds()
    {
        Prerequisites.RequireCurl();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(220));
        var ct = cts.Token;
        await using var mesh = await OfficeMesh.StartAsync(ct, withCi: false, dbUpArgs: ["--metrics-listen", "127.0.0.1:9586"]);
        var network = mesh.Network;
        var db = network.Host("db");
        var laptop = network.Host("laptop");

        var first = await MetricsScrape.FetchAsync(db, Url, ct);
        MeshAssert.True(first.Value("meshports_node_coordinator_connected") == 1, $"coordinator_connected is not 1 on a connected node:\n{first.Text}", network);
        MeshAssert.True(first.Value("meshports_node_applied_serial") > 0, $"applied_serial is not above 0 after the first netmap:\n{first.Text}", network);
        MeshAssert.True(first.Value("meshports_node_info", ("name", "db")) == 1, $"no meshports_node_info{{name=\"db\"}} 1:\n{first.Text}", network);
        MeshAssert.True(first.Value("meshports_node_dropped_packets_total", ("reason", "filter-denied")) is not null, $"filter-denied is not listed before it first moves:\n{first.Text}", network);

        foreach (var (method, path, expected) in new[] { ("GET", "/", "404"), ("GET", "/metrics/x", "404"), ("POST", "/metrics", "405") })
        {
            var code = await MetricsScrape.StatusCodeAsync(db, method, "http://127.0.0.1:9586" + path, ct);
            MeshAssert.True(code == expected, $"{method} {path} answered {code}, expected {expected}", network);
        }

        var grant = await mesh.Meshctl.GrantAddAsync("laptop", "db:5432/tcp", TimeSpan.FromMinutes(10), ct);
        var (echoed, last, _) = await TcpProbe.WaitForEchoAsync(laptop, mesh.DbOverlay, OfficeMesh.DbPort, TimeSpan.FromSeconds(10), ct);
        MeshAssert.True(echoed, $"laptop got no echo from db within 10 s of `grant add` (last: {last})", network);

        var granted = await MetricsScrape.FetchAsync(db, Url, ct);
        var rx = granted.Value("meshports_node_peer_rx_bytes_total", ("peer", "laptop"));
        var tx = granted.Value("meshports_node_peer_tx_bytes_total", ("peer", "laptop"));
        MeshAssert.True(rx > 0 && tx > 0, $"peer laptop shows rx {rx} tx {tx} after an echo:\n{granted.Text}", network);
        MeshAssert.True(granted.Value("meshports_node_peer_handshakes_total", ("peer", "laptop")) >= 1, $"no handshake counted with laptop:\n{granted.Text}", network);
        MeshAssert.True(granted.Value("meshports_node_peer_last_handshake_age_seconds", ("peer", "laptop")) is >= 0 and < 120, $"laptop's last handshake age is off:\n{granted.Text}", network);
        var paths = granted.LabelsOf("meshports_node_peer_path").Where(l => l["peer"] == "laptop").Select(l => l["path"]).ToList();
        var current = paths.Where(p => granted.Value("meshports_node_peer_path", ("peer", "laptop"), ("path", p)) == 1).ToList();
        MeshAssert.True(current.Count == 1 && current[0] is "direct" or "relay", $"laptop's path samples {string.Join(",", paths)} mark {string.Join(",", current)} as current:\n{granted.Text}", network);
        MeshAssert.True(granted.Value("meshports_node_flows_admitted_total") >= 1, $"no flow admitted after an echo:\n{granted.Text}", network);
        MeshAssert.True(granted.Value("meshports_node_applied_serial") > first.Value("meshports_node_applied_serial"), "applied_serial did not move with the grant's netmap", network);

        // More traffic: the per-peer counters rise.
        var (again, lastAgain, _) = await TcpProbe.WaitForEchoAsync(laptop, mesh.DbOverlay, OfficeMesh.DbPort, TimeSpan.FromSeconds(10), ct);
        MeshAssert.True(again, $"second echo failed: {lastAgain}", network);
        var more = await MetricsScrape.FetchAsync(db, Url, ct);
        MeshAssert.True(
            more.Value("meshports_node_peer_rx_bytes_total", ("peer", "laptop")) > rx && more.Value("meshports_node_peer_tx_bytes_total", ("peer", "laptop")) > tx,
            $"laptop's rx/tx did not rise with a second echo (was {rx}/{tx}):\n{more.Text}",
            network);

        // A port the grant does not cover: db's filter refuses the new flow, counted as filter-denied.
        var deniedBefore = more.Value("meshports_node_dropped_packets_total", ("reason", "filter-denied"))!.Value;
        var probe = await TcpProbe.ProbeAsync(laptop, mesh.DbOverlay, 22, TimeSpan.FromSeconds(3), ct);
        MeshAssert.True(!TcpProbe.IsConnected(probe), $"laptop reached db :22 with a grant for 5432 only ({probe})", network);
        var denied = await MetricsScrape.FetchAsync(db, Url, ct);
        var deniedAfter = denied.Value("meshports_node_dropped_packets_total", ("reason", "filter-denied"));
        MeshAssert.True(deniedAfter > deniedBefore, $"filter-denied stayed at {deniedBefore} after a probe of db :22:\n{denied.Text}", network);

        // status --json shows the same refusal under the filter's own name.
        var status = await mesh.Db.StatusAsync(ct);
        MeshAssert.True(status.Json.Contains("\"notAllowed\"", StringComparison.Ordinal), $"status --json has no drops.notAllowed:\n{status.Json}", network);

        await mesh.Meshctl.GrantRevokeAsync(grant.Id, ct);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        MetricsScrape ended;
        while (true)
        {
            ended = await MetricsScrape.FetchAsync(db, Url, ct);
            if (ended.Value("meshports_node_grant_ends_enforced_total") >= 1 || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(250, ct);
        }

        MeshAssert.True(ended.Value("meshports_node_grant_ends_enforced_total") >= 1, $"grant_ends_enforced_total did not move within 10 s of `grant revoke`:\n{ended.Text}", network);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"serial {first.Value("meshports_node_applied_serial")} -> {ended.Value("meshports_node_applied_serial")}; laptop rx {rx} -> {more.Value("meshports_node_peer_rx_bytes_total", ("peer", "laptop"))}; path {current[0]}; filter-denied {deniedBefore} -> {deniedAfter}"));
    }
}
