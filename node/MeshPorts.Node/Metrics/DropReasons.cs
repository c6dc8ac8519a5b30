using MeshPorts.Node.Device;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Names;
using MeshPorts.Node.Paths;
using MeshPorts.Node.Relay;
using MeshPorts.WireGuard;

namespace MeshPorts.Node.Metrics;

/// <summary>
/// The one table from every drop counter of the engine, the filter and the device to the <c>reason</c>
/// label of <c>meshports_node_dropped_packets_total</c>. Several counters may share a reason (every kind of
/// unparseable packet is "malformed"); the label values are a contract with the alert rules and the
/// dashboard in packaging/ (docs/node.md lists them), so change them only together.
/// </summary>
internal static class DropReasons
{
    public const string Malformed = "malformed";
    public const string Replay = "replay";
    public const string FilterDenied = "filter-denied";
    public const string NoPeer = "no-peer";

    /// <summary>The reason label of a filter refusal.</summary>
    public static string Of(FilterReason reason) => reason switch
    {
        FilterReason.Malformed => Malformed,
        FilterReason.Fragment => "fragment",

        // A new inbound flow no rule or grant admits: what a port scan or a probe of the mesh looks like.
        FilterReason.NotAllowed => FilterDenied,
        FilterReason.Unsolicited => "unsolicited",
        FilterReason.PeerMismatch => "peer-mismatch",
        FilterReason.TableFull => "flow-table-full",
        FilterReason.FlowCut => "flow-cut",
        FilterReason.Expired => "grant-expired",
        FilterReason.Revoked => "grant-revoked",
        FilterReason.NotForThisNode => "not-for-this-node",
        _ => "other",
    };

    /// <summary>The reason label of a device drop; null for the two the filter's reasons break down.</summary>
    public static string? Of(DeviceDrop reason) => reason switch
    {
        DeviceDrop.MalformedOutbound or DeviceDrop.MalformedInbound or DeviceDrop.UnrecognizedDatagram => Malformed,
        DeviceDrop.NoRoute => NoPeer,
        DeviceDrop.SourceNotAllowed => "source-not-allowed",
        DeviceDrop.TunWriteFailed => "tun-write-failed",
        DeviceDrop.UdpSendFailed => "udp-send-failed",
        DeviceDrop.FilteredOutbound or DeviceDrop.FilteredInbound => null,
        DeviceDrop.ProbeNotHandled => "probe-not-handled",
        DeviceDrop.RelayFrameNotFromRelay => "relay-frame-not-from-relay",
        DeviceDrop.StunNotHandled => "stun-not-handled",
        DeviceDrop.RelaySendFailed => "relay-send-failed",
        DeviceDrop.RelayedFromNonPeer => "relayed-from-non-peer",
        DeviceDrop.VirtualSourceOnSocket => "virtual-source-on-socket",
        _ => "other",
    };

    /// <summary>The reason label of a WireGuard engine drop.</summary>
    public static string Of(DropReason reason) => reason switch
    {
        DropReason.TooShort or DropReason.InvalidSize or DropReason.UnknownType => Malformed,
        DropReason.BadMac1 => "bad-mac",
        DropReason.CookieRequired => "cookie-required",
        DropReason.RateLimited => "rate-limited",

        // A handshake from a static key that is no peer here: unauthenticated, so forged or revoked.
        DropReason.UnknownPeer => "unknown-peer-key",
        DropReason.DecryptFailed => "decrypt-failed",
        DropReason.StaleTimestamp => "stale-timestamp",
        DropReason.UnknownIndex => "unknown-index",
        DropReason.Replay => Replay,
        DropReason.KeyExpired => "key-expired",
        DropReason.NoPrivateKey => "no-private-key",
        DropReason.NoEndpoint => "no-endpoint",
        DropReason.QueueFull => "queue-full",
        DropReason.HandshakeFlood => "handshake-flood",
        DropReason.BufferTooSmall => "buffer-too-small",
        DropReason.UnexpectedCookie => "unexpected-cookie",
        DropReason.UnexpectedResponse => "unexpected-response",
        DropReason.RetiredPeerKey => "retired-peer-key",
        _ => "other",
    };

    /// <summary>
    /// The reason label of a relay client drop. An unparseable frame is "malformed" and a replayed one
    /// "replay", as everywhere; the rest say they came from the relay path.
    /// </summary>
    public static string Of(RelayDrop reason) => reason switch
    {
        RelayDrop.Malformed => Malformed,
        RelayDrop.Replay => Replay,
        RelayDrop.BadTag => "relay-bad-tag",
        RelayDrop.UnknownSession => "relay-unknown-session",
        RelayDrop.UnknownSource => "relay-unknown-source",
        RelayDrop.UnexpectedKind => "relay-unexpected-kind",
        RelayDrop.UnknownPeer => "relay-unknown-peer",
        RelayDrop.NoRelay => "relay-no-relay",
        RelayDrop.QueueFull => "relay-queue-full",
        RelayDrop.Oversized => "relay-oversized",
        _ => "other",
    };

    /// <summary>The path probes' drops with their labels (a malformed or replayed probe counts as such).</summary>
    private static IEnumerable<(string Label, long Count)> Of(ProbeCounters? probes)
    {
        yield return (Malformed, probes?.Malformed ?? 0);
        yield return ("probe-unknown-sender", probes?.UnknownSender ?? 0);
        yield return ("probe-bad-tag", probes?.BadTag ?? 0);
        yield return ("probe-stale", probes?.Stale ?? 0);
        yield return (Replay, probes?.Replay ?? 0);
        yield return ("probe-unsolicited", probes?.Unsolicited ?? 0);
        yield return ("probe-flood", probes?.Flood ?? 0);
    }

    /// <summary>The name server's drops: datagrams to port 53 that are no query, and queries that arrived off the overlay.</summary>
    private static IEnumerable<(string Label, long Count)> Of(NameCounters? names)
    {
        yield return ("dns-malformed", names?.Malformed ?? 0);
        yield return ("dns-not-overlay", names?.NotOverlay ?? 0);
    }

    /// <summary>Every reason label the node can emit, in a stable order.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Counts(null, null, null, null, null, null).Select(c => c.Label).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>
    /// Packets dropped per reason label, summed over the counters that share it; every label present, even at
    /// 0. A node with no path stack (not enrolled) has no relay or probe counters, and one run with --no-dns no
    /// name server counters: their labels read 0.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, long>> Totals(FilterCounters filter, DeviceCounters device, EngineCounters engine, RelayCounters? relay = null, ProbeCounters? probes = null, NameCounters? names = null)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(engine);
        var sums = All.ToDictionary(r => r, _ => 0L, StringComparer.Ordinal);
        foreach (var (label, count) in Counts(filter, device, engine, relay, probes, names))
        {
            sums[label] += count;
        }

        return [.. All.Select(r => new KeyValuePair<string, long>(r, sums[r]))];
    }

    // Every counter with its label; without counters (null) the counts are 0, which lists the labels.
    private static IEnumerable<(string Label, long Count)> Counts(FilterCounters? filter, DeviceCounters? device, EngineCounters? engine, RelayCounters? relay, ProbeCounters? probes, NameCounters? names)
    {
        foreach (var count in Of(names))
        {
            yield return count;
        }

        foreach (var reason in Enum.GetValues<RelayDrop>())
        {
            yield return (Of(reason), relay?[reason] ?? 0);
        }

        foreach (var count in Of(probes))
        {
            yield return count;
        }

        foreach (var reason in Enum.GetValues<FilterReason>())
        {
            if (reason != FilterReason.None)
            {
                yield return (Of(reason), filter?.Denied(reason) ?? 0);
            }
        }

        foreach (var reason in Enum.GetValues<DeviceDrop>())
        {
            if (Of(reason) is { } label)
            {
                yield return (label, device?[reason] ?? 0);
            }
        }

        foreach (var reason in Enum.GetValues<DropReason>())
        {
            if (reason != DropReason.None)
            {
                yield return (Of(reason), engine?.Drops(reason) ?? 0);
            }
        }
    }
}
