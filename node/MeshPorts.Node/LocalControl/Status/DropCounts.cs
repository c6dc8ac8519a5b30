using System.Text.Json;
using MeshPorts.Node.Device;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Names;
using MeshPorts.Node.Paths;
using MeshPorts.Node.Relay;
using MeshPorts.WireGuard;

namespace MeshPorts.Node.LocalControl.Status;

/// <summary>
/// The <c>drops</c> object of <c>status --json</c>: packets refused, by reason (camelCase), every reason
/// listed even at 0 so a script can read a counter before it first moves. With a path stack (every
/// enrolled node) the relay client's drops (<c>relay…</c>) and the probes' (<c>probe…</c>) are listed too.
/// </summary>
internal static class DropCounts
{
    public static IReadOnlyDictionary<string, long> From(FilterCounters filter, DeviceCounters device, EngineCounters engine, RelayCounters? relay = null, ProbeCounters? probes = null, NameCounters? names = null)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(engine);
        var drops = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var reason in Enum.GetValues<FilterReason>())
        {
            if (reason != FilterReason.None)
            {
                drops[Name(reason.ToString())] = filter.Denied(reason);
            }
        }

        foreach (var reason in Enum.GetValues<DeviceDrop>())
        {
            // The filter's own reasons above already break these two down.
            if (reason is not (DeviceDrop.FilteredInbound or DeviceDrop.FilteredOutbound))
            {
                drops[Name(reason.ToString())] = device[reason];
            }
        }

        // What the WireGuard engine refused before anything was decrypted: handshakes from keys that are no
        // peer here (a forged or stolen-then-revoked key), replays, bad MACs, floods.
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            if (reason != DropReason.None)
            {
                drops[Name(reason.ToString())] = engine.Drops(reason);
            }
        }

        if (relay is not null)
        {
            foreach (var reason in Enum.GetValues<RelayDrop>())
            {
                drops["relay" + reason] = relay[reason];
            }
        }

        if (probes is not null)
        {
            drops["probeMalformed"] = probes.Malformed;
            drops["probeUnknownSender"] = probes.UnknownSender;
            drops["probeBadTag"] = probes.BadTag;
            drops["probeStale"] = probes.Stale;
            drops["probeReplay"] = probes.Replay;
            drops["probeUnsolicited"] = probes.Unsolicited;
            drops["probeFlood"] = probes.Flood;
        }

        if (names is not null)
        {
            // What reached the name server on port 53 and was no query (dropped unanswered), or came from off the overlay.
            drops["dnsMalformed"] = names.Malformed;
            drops["dnsNotOverlay"] = names.NotOverlay;
        }

        return drops;
    }

    private static string Name(string reason) => JsonNamingPolicy.CamelCase.ConvertName(reason);
}
