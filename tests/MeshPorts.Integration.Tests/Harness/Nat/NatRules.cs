using System.Globalization;
using System.Text;

namespace MeshPorts.Integration.Tests.Harness.Nat;

/// <summary>
/// The one nft table a lab router runs, written whole and swapped atomically on every change (declare,
/// delete, redeclare in one `nft -f` transaction). It behaves like a home router: LAN to WAN is
/// masqueraded, WAN to the router itself is dropped unless it answers something the router sent (so an
/// unsolicited packet leaves no conntrack entry that would make masquerade pick another port), WAN to
/// LAN only for replies and port forwards. Changing rules never touches existing conntrack entries:
/// flush them (<see cref="NatSite.FlushMappingsAsync"/>) to make a new kind apply to running flows.
/// </summary>
internal static class NatRules
{
    public const string Table = "meshports_lab";
    public const string UdpDroppedCounter = "udp_dropped";

    /// <param name="portRange">Public ports masquerade may use (`to :FIRST-LAST`), or null for its own choice.</param>
    public static string Build(
        string wan,
        string lan,
        NatKind kind,
        bool udpBlocked,
        IReadOnlyList<PortForward> forwards,
        (int First, int Last)? portRange)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"table ip {Table}");
        text.AppendLine(inv, $"delete table ip {Table}");
        text.AppendLine(inv, $"table ip {Table} {{");
        text.AppendLine(inv, $"  counter {UdpDroppedCounter} {{ }}");

        text.AppendLine("  chain dnat_in {");
        text.AppendLine("    type nat hook prerouting priority dstnat; policy accept;");
        foreach (var forward in forwards)
        {
            text.AppendLine(inv, $"    iifname \"{wan}\" {forward.Protocol} dport {forward.PublicPort} dnat to {forward.HostAddress}:{forward.HostPort}");
        }

        text.AppendLine("  }");

        text.AppendLine("  chain snat_out {");
        text.AppendLine("    type nat hook postrouting priority srcnat; policy accept;");
        var random = kind == NatKind.Symmetric ? " fully-random" : "";
        if (portRange is { } r)
        {
            // A port range only means something to protocols with ports; ICMP falls through to the plain rule.
            text.AppendLine(inv, $"    oifname \"{wan}\" meta l4proto {{ tcp, udp }} masquerade to :{r.First}-{r.Last}{random}");
        }

        text.AppendLine(inv, $"    oifname \"{wan}\" masquerade{random}");
        text.AppendLine("  }");

        text.AppendLine("  chain site_forward {");
        text.AppendLine("    type filter hook forward priority filter; policy drop;");
        if (udpBlocked)
        {
            // Before the established rule: blocking UDP also kills flows that were already running.
            text.AppendLine(inv, $"    iifname \"{lan}\" oifname \"{wan}\" meta l4proto udp counter name \"{UdpDroppedCounter}\" drop");
            text.AppendLine(inv, $"    iifname \"{wan}\" oifname \"{lan}\" meta l4proto udp counter name \"{UdpDroppedCounter}\" drop");
        }

        text.AppendLine("    ct state established,related accept");
        text.AppendLine(inv, $"    iifname \"{lan}\" oifname \"{wan}\" accept");
        text.AppendLine(inv, $"    iifname \"{wan}\" oifname \"{lan}\" ct status dnat accept");
        text.AppendLine("  }");

        text.AppendLine("  chain wan_in {");
        text.AppendLine("    type filter hook input priority filter; policy accept;");
        text.AppendLine(inv, $"    iifname \"{wan}\" ct state established,related accept");
        text.AppendLine(inv, $"    iifname \"{wan}\" meta l4proto icmp accept");
        text.AppendLine(inv, $"    iifname \"{wan}\" drop");
        text.AppendLine("  }");
        text.AppendLine("}");
        return text.ToString();
    }
}
