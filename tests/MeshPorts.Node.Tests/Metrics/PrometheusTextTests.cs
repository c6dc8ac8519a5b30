using MeshPorts.Node.Metrics;

namespace MeshPorts.Node.Tests.Metrics;

public sealed class PrometheusTextTests
{
    [Theory]
    [InlineData("web", "web")]
    [InlineData("a\\b", "a\\\\b")]
    [InlineData("say \"hi\"", "say \\\"hi\\\"")]
    [InlineData("two\nlines", "two\\nlines")]
    [InlineData("\\\"\n", "\\\\\\\"\\n")]
    public void EscapeLabelValue_EscapesBackslashQuoteAndNewline(string value, string expected) =>
        Assert.Equal(expected, PrometheusText.EscapeLabelValue(value));

    [Fact]
    public void EscapeHelp_KeepsQuotesButEscapesBackslashAndNewline() =>
        Assert.Equal("a \"b\" \\\\ \\n", PrometheusText.EscapeHelp("a \"b\" \\ \n"));

    [Fact]
    public void Sample_WritesLabelsInOrderAndAHostileValueStaysOnOneLine()
    {
        var text = new PrometheusText()
            .Family("m_total", "counter", "Help.")
            .Sample("m_total", 3, ("peer", "x\"} 1\nevil_total 9"), ("path", "direct"))
            .ToString();

        Assert.Equal(
            "# HELP m_total Help.\n# TYPE m_total counter\nm_total{peer=\"x\\\"} 1\\nevil_total 9\",path=\"direct\"} 3\n",
            text);
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(1234567890123, "1234567890123")]
    [InlineData(1.5, "1.5")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NaN, "NaN")]
    public void FormatValue_UsesTheFormatsSpelling(double value, string expected) =>
        Assert.Equal(expected, PrometheusText.FormatValue(value));

    [Fact]
    public void Format_EveryFamilyHasHelpAndTypeAndTheSamplesOfASnapshot()
    {
        var snapshot = new NodeMetricsSnapshot
        {
            Name = "db",
            Version = "1.2.3.0",
            Peers =
            [
                new PeerMetrics("web", 100, 200, 3, TimeSpan.FromSeconds(12.5), "relay"),
                new PeerMetrics("new", 0, 0, 0, null, "none"),
            ],
            Drops = [new("filter-denied", 7), new("malformed", 0)],
            FlowsAdmitted = 4,
            FlowsCut = 2,
            GrantEndsEnforced = 1,
            CoordinatorConnected = true,
            AppliedSerial = 42,
            MetricsRejected = 5,
        };

        var lines = NodeMetricsFormatter.Format(snapshot).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Contains("meshports_node_info{name=\"db\",version=\"1.2.3.0\"} 1", lines);
        Assert.Contains("meshports_node_peer_rx_bytes_total{peer=\"web\"} 100", lines);
        Assert.Contains("meshports_node_peer_tx_bytes_total{peer=\"web\"} 200", lines);
        Assert.Contains("meshports_node_peer_handshakes_total{peer=\"web\"} 3", lines);
        Assert.Contains("meshports_node_peer_last_handshake_age_seconds{peer=\"web\"} 12.5", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("meshports_node_peer_last_handshake_age_seconds{peer=\"new\"}", StringComparison.Ordinal));
        Assert.Contains("meshports_node_peer_path{peer=\"web\",path=\"relay\"} 1", lines);
        Assert.Contains("meshports_node_peer_path{peer=\"web\",path=\"direct\"} 0", lines);
        Assert.Contains("meshports_node_peer_path{peer=\"new\",path=\"none\"} 1", lines);
        Assert.Contains("meshports_node_dropped_packets_total{reason=\"filter-denied\"} 7", lines);
        Assert.Contains("meshports_node_dropped_packets_total{reason=\"malformed\"} 0", lines);
        Assert.Contains("meshports_node_flows_admitted_total 4", lines);
        Assert.Contains("meshports_node_flows_cut_total 2", lines);
        Assert.Contains("meshports_node_grant_ends_enforced_total 1", lines);
        Assert.Contains("meshports_node_coordinator_connected 1", lines);
        Assert.Contains("meshports_node_applied_serial 42", lines);
        Assert.Contains("meshports_node_metrics_rejected_connections_total 5", lines);

        // Every sample's family was announced with HELP and TYPE before it, once.
        var announced = new HashSet<string>(StringComparer.Ordinal);
        var helped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                Assert.True(helped.Add(line.Split(' ')[2]), line);
            }
            else if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.Contains(parts[3], new[] { "counter", "gauge" });
                Assert.Contains(parts[2], helped);
                Assert.True(announced.Add(parts[2]), line);
            }
            else
            {
                Assert.Contains(line.Split('{', ' ')[0], announced);
            }
        }

        // The twelve families and the endpoint's own refusals.
        Assert.Equal(13, announced.Count);
    }
}
