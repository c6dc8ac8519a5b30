using System.Globalization;
using System.Text;
using MeshPorts.Relay;
using MeshPorts.Relay.Udp;

namespace MeshPorts.RelayHost.Hosting;

/// <summary>A standalone relay's /metrics: its STUN answers and drops, and the relay's own counters (meshports_relay_*).</summary>
internal sealed class RelayHostMetrics(RelayCounters relay) : IStunCounters
{
    private long _stunAnswered;
    private long _stunMalformed;
    private long _stunRateLimited;

    public void StunAnswered() => Interlocked.Increment(ref _stunAnswered);

    public void StunDropped(bool rateLimited) => Interlocked.Increment(ref rateLimited ? ref _stunRateLimited : ref _stunMalformed);

    public string Render()
    {
        var sb = new StringBuilder();
        Counter(sb, "meshports_stun_answered_total", "STUN Binding requests answered.", Interlocked.Read(ref _stunAnswered));
        Counter(sb, "meshports_stun_dropped_malformed_total", "UDP datagrams that were neither a Binding request nor a relay frame.", Interlocked.Read(ref _stunMalformed));
        Counter(sb, "meshports_stun_dropped_rate_limited_total", "Binding requests over 20 a second from one source address.", Interlocked.Read(ref _stunRateLimited));
        RelayMetricsText.Append(sb, relay.Snapshot());
        return sb.ToString();
    }

    private static void Counter(StringBuilder sb, string name, string help, long value) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
          .Append("# TYPE ").Append(name).Append(" counter\n")
          .Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
