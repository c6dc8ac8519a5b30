using System.Globalization;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using MeshPorts.Contracts.Time;
using MeshPorts.Node.LocalControl;
using MeshPorts.Node.LocalControl.Status;

namespace MeshPorts.Node.Cli;

/// <summary><c>status</c> and <c>down</c>: talk to a running <c>up</c> over its control socket.</summary>
[SupportedOSPlatform("linux")]
internal static class LocalCommands
{
    public static async Task<int> StatusAsync(IReadOnlyList<string> args, string controlDirectory = ControlServer.DefaultDirectory)
    {
        var (ifname, json) = UpArguments.ParseLocal("status", args);
        string answer;
        try
        {
            answer = await ControlClient.RequestAsync(ControlServer.PathFor(ifname, controlDirectory), "status", TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync($"meshports-node: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        NodeStatusDocument? status;
        try
        {
            status = JsonSerializer.Deserialize(answer, StatusJsonContext.Default.NodeStatusDocument);
        }
        catch (JsonException)
        {
            status = null;
        }

        if (status is null)
        {
            await Console.Error.WriteLineAsync($"meshports-node: the daemon answered something that is not a status: {answer.Trim()}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        await Console.Out.WriteAsync(json ? answer : Format(status, DateTimeOffset.UtcNow)).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    public static async Task<int> DownAsync(IReadOnlyList<string> args, string controlDirectory = ControlServer.DefaultDirectory)
    {
        var (ifname, _) = UpArguments.ParseLocal("down", args);
        var socket = ControlServer.PathFor(ifname, controlDirectory);
        try
        {
            await ControlClient.RequestAsync(socket, "down", TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync($"meshports-node: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        // The daemon removes its socket last, once the interface is gone.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (!File.Exists(socket))
            {
                return ExitCodes.Ok;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        await Console.Error.WriteLineAsync($"meshports-node: {ifname} did not go down within 15 s").ConfigureAwait(false);
        return ExitCodes.Failed;
    }

    internal static string Format(NodeStatusDocument s, DateTimeOffset now)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"node {s.Name} on {s.Interface}: {s.OverlayIp}{(s.OverlayIpv6 is null ? "" : "  " + s.OverlayIpv6)}");
        text.AppendLine(inv, $"  public key {s.PublicKey}, expires {Time(s.KeyExpiresAt)}, UDP port {s.ListenPort}");
        var c = s.Coordinator;
        text.AppendLine(inv, $"  coordinator {c.Url}: {(c.Connected ? "connected" : "NOT connected" + (c.LastError is null ? "" : $" ({c.LastError})"))}, serial {c.Serial}, last contact {Ago(c.LastContact, now)}");
        text.AppendLine(inv, $"  filter: {s.Filter.Rules} rules, {s.Filter.Flows} flows; {s.Filter.Allowed} packets allowed, {s.Filter.Denied} denied, {s.Filter.CutFlows} flows cut");
        var drops = string.Join(", ", s.Drops.Where(d => d.Value > 0).Select(d => string.Create(inv, $"{d.Key} {d.Value}")));
        if (drops.Length > 0)
        {
            text.AppendLine(inv, $"  drops: {drops}");
        }

        if (s.Exposed.Count == 0)
        {
            text.AppendLine("  exposed: nothing");
        }

        foreach (var e in s.Exposed)
        {
            text.AppendLine(inv, $"  exposed {e.Port}/{e.Protocol}{(e.Service is null ? "" : $" ({e.Service})")}: {(e.Listening ? "listening" : "NOT listening")}, {e.Connections} connections, {e.Active} active, {e.Failures} failed");
        }

        if (s.Peers.Count == 0)
        {
            text.AppendLine("  peers: none (nothing allows any peer right now)");
        }

        foreach (var p in s.Peers)
        {
            text.AppendLine(inv, $"  peer {p.Name} {p.OverlayIp}: {PathText(p)}, handshake {Ago(p.LatestHandshake, now)}, valid until {Time(p.ValidUntil)}, rx {p.RxBytes} B, tx {p.TxBytes} B");
        }

        return text.ToString();
    }

    private static string Time(DateTimeOffset? time) => time is { } t ? UtcTime.Format(t) : "never";

    private static string Ago(DateTimeOffset? time, DateTimeOffset now) =>
        time is { } t ? string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (now - t).TotalSeconds):0} s ago") : "never";

    // "direct 198.51.100.7:51820 (3.1 ms)", "relay coordinator over udp (198.51.100.1:7443)", "no path yet".
    private static string PathText(PeerStatusDocument p) => p.Path switch
    {
        "direct" => p.RttMs is { } rtt
            ? string.Create(CultureInfo.InvariantCulture, $"direct {p.Endpoint} ({rtt:0.0} ms)")
            : $"direct {p.Endpoint}",
        "relay" => $"relay {p.RelayId ?? "(unknown)"} over {p.Transport ?? "nothing yet"} ({p.Endpoint ?? "no route"})",
        _ => p.Endpoint is null ? "no path yet" : $"endpoint {p.Endpoint}",
    };
}
