using System.Globalization;
using System.Text;

namespace MeshPorts.Relay;

/// <summary>Renders <see cref="RelayCounters"/> in the Prometheus text format, names meshports_relay_*.</summary>
public static class RelayMetricsText
{
    public static void Append(StringBuilder sb, RelayCounterSnapshot counters)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(counters);
        Header(sb, "meshports_relay_forwarded_datagrams_total", "counter", "Datagrams the relay delivered, by the transport they left on.");
        Line(sb, "meshports_relay_forwarded_datagrams_total{transport=\"udp\"}", counters.UdpDatagrams);
        Line(sb, "meshports_relay_forwarded_datagrams_total{transport=\"tls\"}", counters.TlsDatagrams);
        Header(sb, "meshports_relay_forwarded_bytes_total", "counter", "Payload bytes the relay delivered, by the transport they left on.");
        Line(sb, "meshports_relay_forwarded_bytes_total{transport=\"udp\"}", counters.UdpBytes);
        Line(sb, "meshports_relay_forwarded_bytes_total{transport=\"tls\"}", counters.TlsBytes);
        Header(sb, "meshports_relay_dropped_total", "counter", "Frames and datagrams the relay dropped, by reason.");
        foreach (var (reason, count) in counters.Drops.OrderBy(d => d.Key))
        {
            Line(sb, $"meshports_relay_dropped_total{{reason=\"{ReasonLabel(reason)}\"}}", count);
        }

        Header(sb, "meshports_relay_sessions_opened_total", "counter", "Relay sessions welcomed (a good Hello).");
        Line(sb, "meshports_relay_sessions_opened_total", counters.SessionsOpened);
        Header(sb, "meshports_relay_sessions", "gauge", "Relay sessions open now.");
        Line(sb, "meshports_relay_sessions", counters.SessionsActive);
    }

    /// <summary>The label docs/nat.md names each reason by.</summary>
    public static string ReasonLabel(RelayDropReason reason) => reason switch
    {
        RelayDropReason.BadTag => "bad_tag",
        RelayDropReason.Replay => "replay",
        RelayDropReason.UnknownSession => "unknown_session",
        RelayDropReason.NotAllowed => "not_allowed",
        RelayDropReason.RateLimited => "rate_limited",
        RelayDropReason.NoDestination => "no_destination",
        _ => "malformed",
    };

    private static void Header(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
          .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Line(StringBuilder sb, string name, long value) =>
        sb.Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
