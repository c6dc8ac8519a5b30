namespace MeshPorts.Node.Metrics;

/// <summary>
/// Renders a <see cref="NodeMetricsSnapshot"/> as Prometheus text. The metric names are a contract with
/// packaging/prometheus (alert rules) and packaging/grafana (dashboard); scripts/check-packaging.sh reads
/// them from this directory, and docs/node.md lists them.
/// </summary>
internal static class NodeMetricsFormatter
{
    /// <summary>Every path a peer can be on; the current one has value 1, the others 0, so a change shows.</summary>
    public static readonly string[] Paths = ["direct", "relay", "none"];

    public static string Format(NodeMetricsSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var text = new PrometheusText();
        text.Family("meshports_node_info", "gauge", "This node: its name and the meshports-node version; always 1.")
            .Sample("meshports_node_info", 1, ("name", snapshot.Name), ("version", snapshot.Version));

        text.Family("meshports_node_peer_rx_bytes_total", "counter", "WireGuard UDP payload bytes received from the peer.");
        foreach (var peer in snapshot.Peers)
        {
            text.Sample("meshports_node_peer_rx_bytes_total", peer.RxBytes, ("peer", peer.Name));
        }

        text.Family("meshports_node_peer_tx_bytes_total", "counter", "WireGuard UDP payload bytes sent to the peer.");
        foreach (var peer in snapshot.Peers)
        {
            text.Sample("meshports_node_peer_tx_bytes_total", peer.TxBytes, ("peer", peer.Name));
        }

        text.Family("meshports_node_peer_handshakes_total", "counter", "WireGuard handshakes completed with the peer (either side initiating).");
        foreach (var peer in snapshot.Peers)
        {
            text.Sample("meshports_node_peer_handshakes_total", peer.Handshakes, ("peer", peer.Name));
        }

        text.Family("meshports_node_peer_last_handshake_age_seconds", "gauge", "Seconds since the last completed handshake with the peer; absent before the first.");
        foreach (var peer in snapshot.Peers)
        {
            if (peer.LastHandshakeAge is { } age)
            {
                text.Sample("meshports_node_peer_last_handshake_age_seconds", Math.Max(0, Math.Round(age.TotalSeconds, 3)), ("peer", peer.Name));
            }
        }

        text.Family("meshports_node_peer_path", "gauge", "How the peer is reached: 1 for the current path (direct, relay or none), 0 for the others.");
        foreach (var peer in snapshot.Peers)
        {
            foreach (var path in Paths)
            {
                text.Sample("meshports_node_peer_path", path == peer.Path ? 1 : 0, ("peer", peer.Name), ("path", path));
            }
        }

        text.Family("meshports_node_dropped_packets_total", "counter", "Packets dropped by the WireGuard engine, the packet filter or the device, by reason.");
        foreach (var (reason, count) in snapshot.Drops)
        {
            text.Sample("meshports_node_dropped_packets_total", count, ("reason", reason));
        }

        text.Family("meshports_node_flows_admitted_total", "counter", "Flows the packet filter admitted (inbound by a rule or grant, and outbound).")
            .Sample("meshports_node_flows_admitted_total", snapshot.FlowsAdmitted);
        text.Family("meshports_node_flows_cut_total", "counter", "Flows cut because the rule or grant that admitted them ended or was revoked.")
            .Sample("meshports_node_flows_cut_total", snapshot.FlowsCut);
        text.Family("meshports_node_grant_ends_enforced_total", "counter", "Rules and grants whose end (NotAfter or revocation) the filter enforced.")
            .Sample("meshports_node_grant_ends_enforced_total", snapshot.GrantEndsEnforced);
        text.Family("meshports_node_metrics_rejected_connections_total", "counter", "Connections to this metrics endpoint closed unread because it was serving its limit at once.")
            .Sample("meshports_node_metrics_rejected_connections_total", snapshot.MetricsRejected);
        text.Family("meshports_node_coordinator_connected", "gauge", "1 while the node follows the coordinator's netmap, 0 while it cannot reach it.")
            .Sample("meshports_node_coordinator_connected", snapshot.CoordinatorConnected ? 1 : 0);
        text.Family("meshports_node_applied_serial", "gauge", "Serial of the last netmap the node applied.")
            .Sample("meshports_node_applied_serial", snapshot.AppliedSerial);
        return text.ToString();
    }
}
