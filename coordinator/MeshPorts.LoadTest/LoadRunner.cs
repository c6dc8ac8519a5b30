using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Ctl.Config;
using MeshPorts.Ctl.Transport;

namespace MeshPorts.LoadTest;

/// <summary>The benchmark: enroll in stages, watch, measure one-peer deltas per mesh size, then grant latency.</summary>
internal sealed class LoadRunner(LoadOptions options, TextWriter output)
{
    // A delta that has not arrived after this long is counted as lost, not waited for forever.
    private static readonly TimeSpan s_deltaTimeout = TimeSpan.FromSeconds(30);

    private readonly List<SimNode> _nodes = [];
    private readonly List<Task> _streams = [];
    private readonly List<string> _rows = [];

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
        var nodeClient = new NodeControl.NodeControlClient(nodeChannel);
        using var streams = CancellationTokenSource.CreateLinkedTokenSource(cancellation);

        var token = await admin.CreateTokenAsync(
            new CreateTokenRequest { Tags = { "load" }, Uses = (uint)options.Nodes, Ttl = Duration.FromTimeSpan(TimeSpan.FromHours(2)) },
            cancellationToken: cancellation).ConfigureAwait(false);
        var secret = JoinSecret(token.JoinString);
        var before = ProcessStats.Read(options.CoordinatorPid);
        Row("coordinator before", Stats(before));

        var sizeRows = new List<string>();
        foreach (var size in options.Sizes)
        {
            var enrollStart = Stopwatch.GetTimestamp();
            var added = _nodes.Count;
            await EnrollUpToAsync(nodeClient, secret, size, cancellation).ConfigureAwait(false);
            var enrollSeconds = Stopwatch.GetElapsedTime(enrollStart).TotalSeconds;
            Row($"enroll {added}->{size}", $"{(size - added) / enrollSeconds:F0} nodes/s ({enrollSeconds:F1} s)");

            var watchStart = Stopwatch.GetTimestamp();
            await WatchAllAsync(nodeClient, added, streams.Token).ConfigureAwait(false);
            Row($"watch streams {added}->{size}", $"all snapshots in {Stopwatch.GetElapsedTime(watchStart).TotalSeconds:F1} s");

            // The two newest nodes have no peers yet: a grant between them is exactly a one-peer change.
            var (add, revoke) = await GrantOnceAsync(admin, _nodes[size - 2], _nodes[size - 1], cancellation).ConfigureAwait(false);
            sizeRows.Add($"{size,6}  {add.Bytes,14}  {revoke.Bytes,17}  {_nodes[size - 1].SnapshotBytes,14}");
            Row($"coordinator at {size}", Stats(ProcessStats.Read(options.CoordinatorPid)));
        }

        var latencies = new List<double>();
        var lost = 0;
        var pairs = Math.Min(options.Grants, _nodes.Count / 2);
        var latencyStart = Stopwatch.GetTimestamp();
        var cpuBefore = ProcessStats.Read(options.CoordinatorPid);
        for (var i = 0; i < pairs; i++)
        {
            try
            {
                var (add, revoke) = await GrantOnceAsync(admin, _nodes[2 * i], _nodes[(2 * i) + 1], cancellation).ConfigureAwait(false);
                latencies.AddRange(add.Millis);
                latencies.AddRange(revoke.Millis);
            }
            catch (TimeoutException)
            {
                lost++;
            }
        }

        var cpuAfter = ProcessStats.Read(options.CoordinatorPid);
        var elapsed = Stopwatch.GetElapsedTime(latencyStart).TotalSeconds;
        Row($"grant changes at {_nodes.Count} nodes", $"{pairs} adds + {pairs} revokes in {elapsed:F1} s, {lost} timed out");
        Row("delta latency p50", $"{Percentiles.Of(latencies, 50):F1} ms");
        Row("delta latency p99", $"{Percentiles.Of(latencies, 99):F1} ms (target < 1000 ms)");
        Row("delta latency max", $"{(latencies.Count == 0 ? double.NaN : latencies.Max()):F1} ms");
        if (cpuBefore is { } cb && cpuAfter is { } ca)
        {
            Row("coordinator CPU during grants", $"{ca.CpuSeconds - cb.CpuSeconds:F2} s");
        }

        Row("coordinator after", Stats(ProcessStats.Read(options.CoordinatorPid)));

        await streams.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_streams.Select(s => s.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        foreach (var node in _nodes)
        {
            node.Dispose();
        }

        await PrintAsync(sizeRows).ConfigureAwait(false);
        return latencies.Count > 0 && lost == 0 && Percentiles.Of(latencies, 99) < 1000 ? 0 : 1;
    }

    private static string JoinSecret(string joinString)
    {
        // admin.proto: "mpj1_" + base64url(JSON {"u": url, "p": pin, "s": secret}).
        var b64 = joinString["mpj1_".Length..].Replace('-', '+').Replace('_', '/');
        b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
        using var doc = JsonDocument.Parse(Convert.FromBase64String(b64));
        return doc.RootElement.GetProperty("s").GetString()!;
    }

    private static string Stats(ProcessStats? stats) =>
        stats is { } s ? $"RSS {s.RssKiB / 1024.0:F1} MiB, CPU {s.CpuSeconds:F2} s" : "(no --pid)";

    private static bool Mentions(Delta d, string nodeId) =>
        d.PeersUpserted.Any(p => p.NodeId == nodeId) || d.RulesAdded.Any(r => r.SourceNodeId == nodeId);

    private static bool Drops(Delta d, string nodeId) =>
        d.PeersRemoved.Contains(nodeId) || d.RulesRemoved.Count > 0;

    private async Task EnrollUpToAsync(NodeControl.NodeControlClient client, string secret, int size, CancellationToken cancellation)
    {
        var start = _nodes.Count;
        var fresh = Enumerable.Range(start, size - start).Select(_ => new SimNode()).ToList();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, fresh.Count),
            new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = cancellation },
            async (i, ct) => await fresh[i].EnrollAsync(client, secret, "", ct).ConfigureAwait(false)).ConfigureAwait(false);
        _nodes.AddRange(fresh);
    }

    private async Task WatchAllAsync(NodeControl.NodeControlClient client, int from, CancellationToken streams)
    {
        var fresh = _nodes.Skip(from).ToList();
        var started = new Task[fresh.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, fresh.Count),
            new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency },
            async (i, _) => started[i] = await fresh[i].StartWatchAsync(client, streams).ConfigureAwait(false)).ConfigureAwait(false);
        _streams.AddRange(started);
        await Task.WhenAll(fresh.Select(n => n.Snapshot)).WaitAsync(TimeSpan.FromMinutes(5), streams).ConfigureAwait(false);
    }

    /// <summary>Adds a grant a→b:5432/tcp, waits for both nodes' deltas, revokes it, waits again.</summary>
    private static async Task<(Measured Add, Measured Revoke)> GrantOnceAsync(Admin.AdminClient admin, SimNode a, SimNode b, CancellationToken cancellation)
    {
        var waits = new[] { a.WaitFor(e => Mentions(e.Delta, b.NodeId)), b.WaitFor(e => Mentions(e.Delta, a.NodeId)) };
        var t0 = Stopwatch.GetTimestamp();
        var grant = await admin.AddGrantAsync(
            new AddGrantRequest { From = a.Name, To = b.Name, Port = 5432, Protocol = Protocol.Tcp, Duration = Duration.FromTimeSpan(TimeSpan.FromMinutes(30)), Reason = "loadtest" },
            cancellationToken: cancellation).ConfigureAwait(false);
        var add = await MeasureAsync(t0, waits).ConfigureAwait(false);

        waits = [a.WaitFor(e => Drops(e.Delta, b.NodeId)), b.WaitFor(e => Drops(e.Delta, a.NodeId))];
        t0 = Stopwatch.GetTimestamp();
        await admin.RevokeGrantAsync(new RevokeGrantRequest { Id = grant.Grant.Id }, cancellationToken: cancellation).ConfigureAwait(false);
        var revoke = await MeasureAsync(t0, waits).ConfigureAwait(false);
        return (add, revoke);
    }

    private static async Task<Measured> MeasureAsync(long t0, Task<Arrival>[] waits)
    {
        try
        {
            var arrivals = await Task.WhenAll(waits).WaitAsync(s_deltaTimeout).ConfigureAwait(false);
            return new Measured(
                arrivals.Select(x => Stopwatch.GetElapsedTime(t0, x.Timestamp).TotalMilliseconds).ToArray(),
                arrivals.Max(x => x.Bytes));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"a delta did not arrive within {s_deltaTimeout.TotalSeconds} s", ex);
        }
    }

    private void Row(string what, string value)
    {
        var line = $"{what,-36} {value}";
        _rows.Add(line);

        // Progress as it happens: a 2000-node run takes minutes.
        Console.Error.WriteLine(line);
    }

    private async Task PrintAsync(List<string> sizeRows)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"== meshports coordinator load test: {options.Nodes} simulated nodes, {options.Grants} grant changes ==");
        foreach (var row in _rows)
        {
            sb.AppendLine(row);
        }

        sb.AppendLine();
        sb.AppendLine("one-peer delta size by mesh size (bytes on the Watch stream):");
        sb.AppendLine("  mesh  grant-add delta  grant-revoke delta  snapshot (new)");
        foreach (var row in sizeRows)
        {
            sb.AppendLine(row);
        }

        await output.WriteAsync(sb.ToString()).ConfigureAwait(false);
    }
}
