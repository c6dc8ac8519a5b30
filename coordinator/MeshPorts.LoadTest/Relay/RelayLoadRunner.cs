using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Relay;
using MeshPorts.Ctl.Config;
using MeshPorts.Ctl.Transport;

namespace MeshPorts.LoadTest.Relay;

/// <summary>
/// The relay benchmark: N pairs of real-protocol relay clients through one relay, each step a direct
/// loopback baseline then the relay at the same rate, figures side by side (docs/relay.md, "Measured").
/// </summary>
internal sealed class RelayLoadRunner(RelayLoadOptions options, TextWriter output)
{
    private static readonly TimeSpan s_keepaliveInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_drainLimit = TimeSpan.FromSeconds(3);

    private readonly List<string> _rows = [];

    /// <summary>What the run measured, step by step (tests read it; the table prints it).</summary>
    public List<RelayStepResult> Results { get; } = [];

    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        var config = ConfigFileReader.Load(options.Config);
        if (!config.Url.IsLoopback)
        {
            throw new ArgumentException($"{config.Url} is not a loopback address; this tool only loads a coordinator on this machine");
        }

        using var adminChannel = ChannelFactory.Create(config);
        using var nodeChannel = GrpcChannel.ForAddress(config.Url, new GrpcChannelOptions { HttpHandler = ChannelFactory.CreateHandler(config.Pin), DisposeHttpClient = true });
        var admin = new Admin.AdminClient(adminChannel);
        var control = new NodeControl.NodeControlClient(nodeChannel);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = cancellation };
        var count = options.Pairs * 2;

        // The real flow: a join token, enrollment with each node's own machine key, a grant per pair, tickets.
        var watch = Stopwatch.StartNew();
        var token = await admin.CreateTokenAsync(
            new CreateTokenRequest { Tags = { "load" }, Uses = (uint)count, Ttl = Duration.FromTimeSpan(TimeSpan.FromHours(2)) },
            cancellationToken: cancellation).ConfigureAwait(false);
        if (!Contracts.Join.JoinString.TryDecode(token.JoinString, out var join, out var joinError))
        {
            throw new InvalidOperationException($"the coordinator's join string does not decode: {joinError}");
        }

        var nodes = Enumerable.Range(0, count).Select(_ => new SimNode()).ToArray();
        await Parallel.ForEachAsync(nodes, parallel, async (n, ct) => await n.EnrollAsync(control, join.Secret, "", ct).ConfigureAwait(false)).ConfigureAwait(false);
        var enrollSeconds = Lap(watch);
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Pairs), parallel, async (p, ct) => await admin.AddGrantAsync(
            new AddGrantRequest { From = nodes[2 * p].Name, To = nodes[(2 * p) + 1].Name, Port = 5432, Protocol = Protocol.Tcp, Duration = Duration.FromTimeSpan(TimeSpan.FromHours(1)), Reason = "relay load" },
            cancellationToken: ct).ConfigureAwait(false)).ConfigureAwait(false);
        var grantSeconds = Lap(watch);
        var tickets = new RelayTicketResponse[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), parallel, async (i, ct) => tickets[i] = await nodes[i].GetRelayTicketAsync(control, ct).ConfigureAwait(false)).ConfigureAwait(false);
        for (var i = 0; i < count; i++)
        {
            var ticket = RelayTicket.Parser.ParseFrom(tickets[i].Ticket);
            if (!ticket.PeerNodeIds.Contains(nodes[i ^ 1].NodeId))
            {
                throw new InvalidOperationException($"the coordinator's relay ticket for {nodes[i].Name} does not name its pair {nodes[i ^ 1].Name}; the grant did not reach its netmap");
            }
        }

        var ticketSeconds = Lap(watch);
        var relay = RelayServerInfo.Pick(tickets[0], options.RelayId);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var peers = nodes.Select((n, i) => new RelayPeer(n, i, options.Size)).ToArray();
        try
        {
            for (var i = 0; i < count; i++)
            {
                peers[i].PairWith(peers[i ^ 1]);
            }

            await Parallel.ForEachAsync(Enumerable.Range(0, count), parallel, async (i, _) =>
                await peers[i].ConnectAsync(relay, new SignedTicket { Ticket = tickets[i].Ticket, Signature = tickets[i].Signature }, stop.Token).ConfigureAwait(false)).ConfigureAwait(false);
            using var keepalives = new Timer(_ => Array.ForEach(peers, p => p.SendKeepalive()), null, s_keepaliveInterval, s_keepaliveInterval);
            await Task.WhenAll(peers.Select(p => p.UdpUp)).WaitAsync(TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false);
            var connectSeconds = Lap(watch);
            Row("setup", $"enroll {count} nodes {enrollSeconds:F1} s, {options.Pairs} grants {grantSeconds:F1} s, {count} tickets {ticketSeconds:F1} s, {count} relay sessions (TLS Hello + UDP keepalive answered) {connectSeconds:F1} s");
            Row("relay before load", Stats(ProcessStats.Read(options.RelayPid)));

            for (var k = 0; k < options.Rates.Count; k++)
            {
                var rate = options.Rates[k];
                Results.Add(await StepAsync(peers, relay, (byte)(2 * k), rate, viaRelay: false, cancellation).ConfigureAwait(false));
                Results.Add(await StepAsync(peers, relay, (byte)((2 * k) + 1), rate, viaRelay: true, cancellation).ConfigureAwait(false));
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var p in peers)
            {
                await p.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var n in nodes)
            {
                n.Dispose();
            }
        }

        await PrintAsync().ConfigureAwait(false);
        var moderate = Results.FirstOrDefault(r => r.ViaRelay);
        return moderate is { Received: > 0, Lost: 0 } && Results.All(r => r.Received > 0) ? 0 : 1;
    }

    private static double Lap(Stopwatch watch)
    {
        var s = watch.Elapsed.TotalSeconds;
        watch.Restart();
        return s;
    }

    private static string Stats(ProcessStats? stats) =>
        stats is { } s ? $"RSS {s.RssKiB / 1024.0:F1} MiB, CPU {s.CpuSeconds:F2} s" : "(no --relay-pid)";

    private async Task<RelayStepResult> StepAsync(RelayPeer[] peers, RelayServerInfo relay, byte step, int rate, bool viaRelay, CancellationToken cancellation)
    {
        var metricsBefore = viaRelay ? await RelayMetrics.ReadAsync(relay, cancellation).ConfigureAwait(false) : null;
        var processBefore = ProcessStats.Read(options.RelayPid);
        var ownBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var kernelBefore = UdpKernelCounters.Read();
        var failuresBefore = peers.Sum(p => p.SendFailures);
        var rejectedBefore = peers.Sum(p => p.Rejected);
        var started = Stopwatch.GetTimestamp();
        var duration = TimeSpan.FromSeconds(options.Seconds);
        await TrafficPacer.RunAsync(peers, step, viaRelay, rate, duration).ConfigureAwait(false);
        var sendSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var sent = peers.Sum(p => p.Sent);

        // Whatever is still in flight arrives within the drain limit, or is lost.
        var drain = Stopwatch.StartNew();
        while (peers.Sum(p => p.Tally(step).Received) < sent && drain.Elapsed < s_drainLimit)
        {
            await Task.Delay(50, cancellation).ConfigureAwait(false);
        }

        var wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var processAfter = ProcessStats.Read(options.RelayPid);
        var ownCpu = (Process.GetCurrentProcess().TotalProcessorTime - ownBefore).TotalSeconds;
        var kernel = UdpKernelCounters.Growth(kernelBefore, UdpKernelCounters.Read());
        var grown = viaRelay ? RelayMetrics.Growth(metricsBefore!, await RelayMetrics.ReadAsync(relay, cancellation).ConfigureAwait(false)) : null;
        var tallies = peers.Select(p => p.Tally(step)).ToArray();
        var latencies = tallies.SelectMany(t => t.LatencyMs).ToList();
        var result = new RelayStepResult(
            rate,
            viaRelay,
            sent,
            tallies.Sum(t => t.Received),
            tallies.Sum(t => t.OverTls),
            tallies.Sum(t => t.Bytes),
            sendSeconds,
            Percentiles.Of(latencies, 50),
            Percentiles.Of(latencies, 99),
            latencies.Count == 0 ? double.NaN : latencies.Max(),
            processBefore is { } b && processAfter is { } a ? (a.CpuSeconds - b.CpuSeconds, a.RssKiB) : null,
            wall,
            ownCpu,
            grown ?? new Dictionary<string, double>(),
            peers.Sum(p => p.Rejected) - rejectedBefore,
            peers.Sum(p => p.SendFailures) - failuresBefore,
            kernel);
        Console.Error.WriteLine($"step {rate}/s {(viaRelay ? "relay" : "direct")}: {result.Received}/{result.Sent} delivered, p50 {result.P50Ms:F3} ms, p99 {result.P99Ms:F3} ms");
        return result;
    }

    private void Row(string what, string value)
    {
        var line = $"{what,-20} {value}";
        _rows.Add(line);
        Console.Error.WriteLine(line);
    }

    private async Task PrintAsync()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"== meshports relay load: {options.Pairs} pairs ({options.Pairs * 2} nodes, each sending its pair) through relay '{options.RelayId}', {options.Size}-byte datagrams, {options.Seconds} s a step ==");
        foreach (var row in _rows)
        {
            sb.AppendLine(row);
        }

        sb.AppendLine();
        sb.AppendLine("rate/node  path     sent       delivered  lost    datagram/s  Mbit/s   one-way p50 ms  p99 ms          max ms");
        RelayStepResult? direct = null;
        foreach (var r in Results)
        {
            var ratio50 = direct is { } d && r.ViaRelay ? $" (x{r.P50Ms / d.P50Ms:F1})" : string.Empty;
            var ratio99 = direct is { } d2 && r.ViaRelay ? $" (x{r.P99Ms / d2.P99Ms:F1})" : string.Empty;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{r.Rate,6}/s  {(r.ViaRelay ? "relay" : "direct"),-7}  {r.Sent,9}  {r.Received,9}  {r.Lost,6}  {r.DatagramsPerSecond,10:F0}  {r.Mbits,7:F1}  {r.P50Ms,8:F3}{ratio50,-8} {r.P99Ms,8:F3}{ratio99,-8} {r.MaxMs,8:F1}");
            direct = r.ViaRelay ? null : r;
        }

        sb.AppendLine();
        foreach (var r in Results.Where(r => r.Lost > 0))
        {
            var kernel = r.Kernel is { } k ? $"{k.ReceiveBufferErrors} datagrams dropped at full UDP receive buffers, {k.SendBufferErrors} at full send buffers (kernel, all sockets here)" : "no /proc/net/snmp";
            sb.AppendLine(CultureInfo.InvariantCulture, $"lost at {r.Rate}/s {(r.ViaRelay ? "relay" : "direct")}: {r.Lost}; {kernel}; {r.SendFailures} sends refused");
        }

        foreach (var r in Results.Where(r => r.ViaRelay))
        {
            var cpu = r.RelayProcess is { } p
                ? $"relay CPU {100 * p.CpuSeconds / r.WallSeconds:F0}% of one core ({p.CpuSeconds:F2} s over {r.WallSeconds:F1} s), {p.CpuSeconds / Math.Max(r.Bytes / 1e9, 1e-9):F1} CPU s/GB, RSS {p.RssKiB / 1024.0:F1} MiB"
                : "relay CPU/RSS: (no --relay-pid)";
            var drops = r.RelayCounters.Where(kv => kv.Key.StartsWith("meshports_relay_dropped_total", StringComparison.Ordinal)).Select(kv => $"{kv.Key["meshports_relay_dropped_total".Length..]} {kv.Value:F0}").ToList();
            sb.AppendLine(CultureInfo.InvariantCulture, $"at {r.Rate}/s: {cpu}; load generator CPU {r.OwnCpuSeconds:F2} s");
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"  relay counters: forwarded udp {r.Counter("meshports_relay_forwarded_datagrams_total{transport=\"udp\"}"):F0}, tls {r.Counter("meshports_relay_forwarded_datagrams_total{transport=\"tls\"}"):F0}; dropped {(drops.Count == 0 ? "none" : string.Join(", ", drops))}; delivered over TLS {r.OverTls}; frames refused by nodes {r.Rejected}");
        }

        await output.WriteAsync(sb.ToString()).ConfigureAwait(false);
    }
}
