using System.Globalization;
using System.Text;
using MeshPorts.Relay.Udp;

namespace MeshPorts.Coordinator.Metrics;

/// <summary>Hand-rolled Prometheus counters and gauges; a handful of numbers needs no library.</summary>
internal sealed class CoordinatorMetrics : IStunCounters
{
    private long _enrollments;
    private long _enrollFailures;
    private long _deltasSent;
    private long _snapshotsSent;
    private long _relayTickets;
    private long _stunAnswered;
    private long _stunMalformed;
    private long _stunRateLimited;
    private long _endpointReportsAccepted;
    private long _endpointReportsRefused;
    private long _callMeDelivered;
    private long _callMeRefused;
    private long _auditEvents;
    private long _watchStreams;
    private long _grantsAdded;
    private long _authFailures;
    private long _challengesRefused;
    private long _enrollRateLimited;
    private long _reportsRefused;
    private long _flowsDropped;
    private long _viewsBuilt;

    public Func<int>? NodeCount { get; set; }

    public Func<int>? LiveNonces { get; set; }

    /// <summary>The embedded relay's counters; null when it is off (--relay off), and then no meshports_relay_* traffic lines are written.</summary>
    public MeshPorts.Relay.RelayCounters? Relay { get; set; }

    public void Enrolled() => Interlocked.Increment(ref _enrollments);

    public void EnrollFailed() => Interlocked.Increment(ref _enrollFailures);

    public void DeltaSent() => Interlocked.Increment(ref _deltasSent);

    public void SnapshotSent() => Interlocked.Increment(ref _snapshotsSent);

    public void RelayTicketIssued() => Interlocked.Increment(ref _relayTickets);

    public void StunAnswered() => Interlocked.Increment(ref _stunAnswered);

    public void StunDropped(bool rateLimited) => Interlocked.Increment(ref rateLimited ? ref _stunRateLimited : ref _stunMalformed);

    public void EndpointReport(bool accepted) => Interlocked.Increment(ref accepted ? ref _endpointReportsAccepted : ref _endpointReportsRefused);

    public void CallMe(bool delivered) => Interlocked.Increment(ref delivered ? ref _callMeDelivered : ref _callMeRefused);

    public void AuditEvent() => Interlocked.Increment(ref _auditEvents);

    public void GrantAdded() => Interlocked.Increment(ref _grantsAdded);

    public void AuthFailed() => Interlocked.Increment(ref _authFailures);

    public void ChallengeRefused() => Interlocked.Increment(ref _challengesRefused);

    public void EnrollRateLimited() => Interlocked.Increment(ref _enrollRateLimited);

    public void DeniedReportRefused() => Interlocked.Increment(ref _reportsRefused);

    public void DeniedFlowsDropped(int count) => Interlocked.Add(ref _flowsDropped, count);

    public void ViewsBuilt(int count) => Interlocked.Add(ref _viewsBuilt, count);

    public void StreamOpened() => Interlocked.Increment(ref _watchStreams);

    public void StreamClosed() => Interlocked.Decrement(ref _watchStreams);

    public long WatchStreams => Interlocked.Read(ref _watchStreams);

    public long NetmapViewsBuilt => Interlocked.Read(ref _viewsBuilt);

    public string Render()
    {
        var sb = new StringBuilder();
        Add(sb, "meshports_enrollments_total", "counter", "Successful enrollments.", Interlocked.Read(ref _enrollments));
        Add(sb, "meshports_enrollment_failures_total", "counter", "Rejected enrollments.", Interlocked.Read(ref _enrollFailures));
        Add(sb, "meshports_auth_failures_total", "counter", "Rejected node signatures.", Interlocked.Read(ref _authFailures));
        Add(sb, "meshports_challenges_refused_total", "counter", "GetChallenge calls for a machine key that is not enrolled.", Interlocked.Read(ref _challengesRefused));
        Add(sb, "meshports_enroll_rate_limited_total", "counter", "Enrollments refused by the per-source failure limiter (not audited).", Interlocked.Read(ref _enrollRateLimited));
        Add(sb, "meshports_denied_reports_refused_total", "counter", "Denied-flow reports refused: too soon after the last one, or too large.", Interlocked.Read(ref _reportsRefused));
        Add(sb, "meshports_denied_flows_dropped_total", "counter", "Reported denied flows dropped as invalid (bad address, port, protocol or count; not to the reporter).", Interlocked.Read(ref _flowsDropped));
        Add(sb, "meshports_deltas_sent_total", "counter", "Netmap deltas written to streams.", Interlocked.Read(ref _deltasSent));
        Add(sb, "meshports_netmap_views_built_total", "counter", "Node views computed: every node's on a policy change or start, only the nodes a change touches otherwise.", Interlocked.Read(ref _viewsBuilt));
        Add(sb, "meshports_snapshots_sent_total", "counter", "Full snapshots written to streams.", Interlocked.Read(ref _snapshotsSent));
        Add(sb, "meshports_relay_tickets_issued_total", "counter", "Relay tickets signed for nodes (GetRelayTicket).", Interlocked.Read(ref _relayTickets));
        Add(sb, "meshports_endpoint_reports_accepted_total", "counter", "Endpoint reports taken (ReportEndpoints).", Interlocked.Read(ref _endpointReportsAccepted));
        Add(sb, "meshports_endpoint_reports_refused_total", "counter", "Endpoint reports refused (rate limit or malformed).", Interlocked.Read(ref _endpointReportsRefused));
        Add(sb, "meshports_call_me_delivered_total", "counter", "Call-me requests handed to the peer's open streams.", Interlocked.Read(ref _callMeDelivered));
        Add(sb, "meshports_call_me_refused_total", "counter", "Call-me requests refused (rate limit, not a peer) or not delivered (peer offline).", Interlocked.Read(ref _callMeRefused));
        Add(sb, "meshports_stun_answered_total", "counter", "STUN Binding requests answered on the listen port (UDP).", Interlocked.Read(ref _stunAnswered));
        Add(sb, "meshports_stun_dropped_malformed_total", "counter", "Datagrams on the UDP listen port that were no STUN Binding request.", Interlocked.Read(ref _stunMalformed));
        Add(sb, "meshports_stun_dropped_rate_limited_total", "counter", "STUN Binding requests beyond 20 a second from one source address.", Interlocked.Read(ref _stunRateLimited));
        Add(sb, "meshports_audit_events_total", "counter", "Audit events appended.", Interlocked.Read(ref _auditEvents));
        Add(sb, "meshports_grants_added_total", "counter", "Grants created.", Interlocked.Read(ref _grantsAdded));
        Add(sb, "meshports_watch_streams", "gauge", "Open Watch streams.", Interlocked.Read(ref _watchStreams));
        Add(sb, "meshports_nodes", "gauge", "Enrolled nodes.", NodeCount?.Invoke() ?? 0);
        Add(sb, "meshports_live_nonces", "gauge", "Challenge nonces held (unused, not yet expired).", LiveNonces?.Invoke() ?? 0);
        RenderMonitoring(sb);
        if (Relay is { } relay)
        {
            MeshPorts.Relay.RelayMetricsText.Append(sb, relay.Snapshot());
        }
        return sb.ToString();
    }

    // ---- Monitoring (issue #14): watch state, grant apply lag, audit chain. The alert rules and the dashboard in
    // packaging/ use these names; scripts/check-packaging.sh checks that every name they use is written here. ----

    /// <summary>Every node with a published view, by name, and whether it has an open Watch stream on this coordinator.</summary>
    public Func<IReadOnlyList<(string Name, bool Watching)>>? NodeWatching { get; set; }

    /// <summary>Seconds the oldest netmap change not yet acked by a node watching here has waited.</summary>
    public Func<double>? OldestUnackedSeconds { get; set; }

    /// <summary>The audit chain check; null until the coordinator runs one.</summary>
    public MeshPorts.Coordinator.Audit.AuditChainMonitor? AuditChain { get; set; }

    /// <summary>The audit shipper; null until the host makes one (it has no queues when no sink is configured).</summary>
    public MeshPorts.Coordinator.Audit.Shipping.AuditShipper? AuditShipping { get; set; }

    private void RenderMonitoring(StringBuilder sb)
    {
        var nodes = NodeWatching?.Invoke() ?? [];
        Add(sb, "meshports_nodes_enrolled", "gauge", "Enrolled nodes (as meshports_nodes).", NodeCount?.Invoke() ?? 0);
        Add(sb, "meshports_nodes_watching", "gauge", "Enrolled nodes with an open Watch stream on this coordinator.", nodes.Count(n => n.Watching));
        Header(sb, "meshports_node_watching", "gauge", "1 while the node has an open Watch stream on this coordinator, else 0 (with replicas: max over them).");
        foreach (var (name, watching) in nodes)
        {
            sb.Append("meshports_node_watching{node=\"").Append(LabelValue(name)).Append("\"} ").Append(watching ? '1' : '0').Append('\n');
        }

        Header(sb, "meshports_netmap_oldest_unacked_seconds", "gauge",
            "Age of the oldest netmap change a node watching here has not acked (applied) yet; 0 when every watching node is up to date.");
        sb.Append("meshports_netmap_oldest_unacked_seconds ")
            .Append((OldestUnackedSeconds?.Invoke() ?? 0).ToString("0.###", CultureInfo.InvariantCulture)).Append('\n');
        Add(sb, "meshports_audit_chain_ok", "gauge", "1 while the audit hash chain checked so far is intact, 0 once a break (or a head mismatch at start) was found.",
            AuditChain is null || AuditChain.Ok ? 1 : 0);
        Add(sb, "meshports_audit_chain_verified_seq", "gauge", "The last audit event of the intact chain as checked so far.", AuditChain?.VerifiedSeq ?? 0);
        var sinks = AuditShipping?.Queues ?? [];
        PerSink(sb, sinks, "meshports_audit_shipped_total", "counter", "Audit events handed to a sink (journald, syslog, otlp) after their commit.", q => q.Shipped);
        PerSink(sb, sinks, "meshports_audit_ship_dropped_total", "counter",
            "Audit events a sink did not get: its queue was full, or it refused or failed them (the database keeps every event).", q => q.Dropped);
        PerSink(sb, sinks, "meshports_audit_ship_queued", "gauge", "Audit events waiting in a sink's queue (it holds 10,000).", q => q.Queued);
    }

    private static void PerSink(StringBuilder sb, IReadOnlyList<MeshPorts.Coordinator.Audit.Shipping.AuditSinkQueue> sinks, string name, string type, string help,
        Func<MeshPorts.Coordinator.Audit.Shipping.AuditSinkQueue, long> value)
    {
        Header(sb, name, type, help);
        foreach (var sink in sinks)
        {
            sb.Append(name).Append("{sink=\"").Append(sink.Name).Append("\"} ").Append(value(sink).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private static void Header(StringBuilder sb, string name, string type, string help)
    {
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    /// <summary>A label value in the text format: backslash, double quote and line feed escaped.</summary>
    internal static string LabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    // ---- end of the monitoring block ----

    private static void Add(StringBuilder sb, string name, string type, string help, long value)
    {
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        sb.Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
