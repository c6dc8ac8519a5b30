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

/// <summary>
/// The benchmark: enroll in stages, watch, measure one-peer deltas per mesh size, then grant latency, then (with
/// replicas) the failover of the first replica's nodes. Replica k of meshctl.conf's url line is index k here.
/// </summary>
internal sealed partial class LoadRunner(LoadOptions options, TextWriter output)
{
    // A delta that has not arrived after this long is counted as lost, not waited for forever.
    private static readonly TimeSpan s_deltaTimeout = TimeSpan.FromSeconds(30);

    private readonly List<SimNode> _nodes = [];
    private readonly List<Task> _streams = [];
    private readonly List<string> _rows = [];
    private readonly LoadFigures _figures = new();
    private Admin.AdminClient[] _admins = [];
    private NodeControl.NodeControlClient[] _replicas = [];

    private int ReplicaCount => _replicas.Length;

    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        var config = ConfigFileReader.Load(options.Config);
        if (config.Urls.Any(u => !u.IsLoopback))
        {
            throw new ArgumentException($"{string.Join(", ", config.Urls)}: not every URL is a loopback address; this tool only loads coordinators on this machine");
        }

        // One admin and one node channel per replica, so each call goes where the benchmark says.
        var channels = new List<GrpcChannel>();
        foreach (var url in config.Urls)
        {
            channels.Add(ChannelFactory.Create(new CtlConfig([url], config.Pin, config.AdminToken, config.Source)));
            channels.Add(GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = ChannelFactory.CreateHandler(config.Pin), DisposeHttpClient = true }));
        }

        _admins = [.. channels.Where((_, i) => i % 2 == 0).Select(c => new Admin.AdminClient(c))];
        _replicas = [.. channels.Where((_, i) => i % 2 == 1).Select(c => new NodeControl.NodeControlClient(c))];
        using var handshakes = new SemaphoreSlim(options.Concurrency);
        _figures.Label = options.Label;
        _figures.Nodes = options.Nodes;
        _figures.Replicas = ReplicaCount;
        using var streams = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        try
        {
            await RunStepsAsync(handshakes, streams.Token, cancellation).ConfigureAwait(false);
        }
        finally
        {
            await streams.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(_streams.Select(s => s.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
            foreach (var node in _nodes)
            {
                node.Dispose();
            }

            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }

        if (options.FiguresPath is { } path)
        {
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(_figures, LoadFiguresJson.Default.LoadFigures), cancellation).ConfigureAwait(false);
        }

        return _figures.Passed ? 0 : 1;
    }

    private async Task RunStepsAsync(SemaphoreSlim handshakes, CancellationToken streams, CancellationToken cancellation)
    {
        var token = await _admins[0].CreateTokenAsync(
            new CreateTokenRequest { Tags = { "load" }, Uses = (uint)options.Nodes, Ttl = Duration.FromTimeSpan(TimeSpan.FromHours(2)) },
            cancellationToken: cancellation).ConfigureAwait(false);
        var secret = JoinSecret(token.JoinString);
        Row("replicas", ReplicaCount == 1 ? "1" : $"{ReplicaCount}: node k enrolls through and watches replica k mod {ReplicaCount}");
        Row("coordinator before", Stats());

        var sizeRows = new List<string>();
        var enrollSeconds = 0.0;
        var watchSeconds = 0.0;
        foreach (var size in options.Sizes)
        {
            var enrollStart = Stopwatch.GetTimestamp();
            var added = _nodes.Count;
            await EnrollUpToAsync(secret, size, cancellation).ConfigureAwait(false);
            var seconds = Stopwatch.GetElapsedTime(enrollStart).TotalSeconds;
            enrollSeconds += seconds;
            Row($"enroll {added}->{size}", $"{(size - added) / seconds:F0} nodes/s ({seconds:F1} s)");

            var watchStart = Stopwatch.GetTimestamp();
            await WatchAllAsync(added, handshakes, streams).ConfigureAwait(false);
            seconds = Stopwatch.GetElapsedTime(watchStart).TotalSeconds;
            watchSeconds += seconds;
            Row($"watch streams {added}->{size}", $"all snapshots in {seconds:F1} s");

            // The two newest nodes have no peers yet: a grant between them is exactly a one-peer change.
            var (add, revoke) = await GrantOnceAsync(_admins[0], _nodes[size - 2], _nodes[size - 1], cancellation).ConfigureAwait(false);
            sizeRows.Add($"{size,6}  {add.Bytes,15}  {revoke.Bytes,18}  {_nodes[size - 1].SnapshotBytes,14}");
            _figures.Lost += add.Lost + revoke.Lost;
            _figures.AddDeltaBytes = add.Bytes;
            _figures.RevokeDeltaBytes = revoke.Bytes;
            _figures.SnapshotBytes = _nodes[size - 1].SnapshotBytes;
            Row($"coordinator at {size}", Stats());
        }

        _figures.EnrollPerSecond = _nodes.Count / enrollSeconds;
        _figures.WatchSeconds = watchSeconds;
        _figures.FullMapSnapshotBytes = await FullMapSnapshotAsync(cancellation).ConfigureAwait(false);
        Row($"snapshot seeing all {_nodes.Count - 1} nodes", $"{_figures.FullMapSnapshotBytes} bytes (a tag grant to one node)");

        await GrantLatencyAsync(cancellation).ConfigureAwait(false);
        _figures.RssMiB = [.. Enumerable.Range(0, ReplicaCount).Select(r => ProcessStats.Read(Pid(r)) is { } s ? s.RssKiB / 1024.0 : double.NaN)];
        Row("coordinator after grants", Stats());

        if (options.Failover && ReplicaCount > 1 && options.CoordinatorPid is { } first)
        {
            await FailoverAsync(first, cancellation).ConfigureAwait(false);
        }

        await PrintAsync(sizeRows).ConfigureAwait(false);
    }

    private int? Pid(int replica) => replica < options.Pids.Count ? options.Pids[replica] : null;

    private static string JoinSecret(string joinString)
    {
        // admin.proto: "mpj1_" + base64url(JSON {"u": url, "p": pin, "s": secret}).
        var b64 = joinString["mpj1_".Length..].Replace('-', '+').Replace('_', '/');
        b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
        using var doc = JsonDocument.Parse(Convert.FromBase64String(b64));
        return doc.RootElement.GetProperty("s").GetString()!;
    }

    private string Stats()
    {
        var parts = Enumerable.Range(0, ReplicaCount).Select(r =>
            (ReplicaCount > 1 ? $"{(char)('A' + r)}: " : "")
            + (ProcessStats.Read(Pid(r)) is { } s ? $"RSS {s.RssKiB / 1024.0:F1} MiB, CPU {s.CpuSeconds:F2} s" : "(no --pid or gone)"));
        return string.Join("; ", parts);
    }

    private async Task EnrollUpToAsync(string secret, int size, CancellationToken cancellation)
    {
        var start = _nodes.Count;
        var fresh = Enumerable.Range(start, size - start).Select(_ => new SimNode()).ToList();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, fresh.Count),
            new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = cancellation },
            async (i, ct) => await fresh[i].EnrollAsync(_replicas[(start + i) % ReplicaCount], secret, "", ct).ConfigureAwait(false)).ConfigureAwait(false);
        _nodes.AddRange(fresh);
    }

    /// <summary>Starts the Watch loops of the nodes from <paramref name="from"/> on and waits for their snapshots; <paramref name="handshakes"/> bounds those opening at once.</summary>
    private async Task WatchAllAsync(int from, SemaphoreSlim handshakes, CancellationToken streams)
    {
        for (var k = from; k < _nodes.Count; k++)
        {
            _streams.Add(_nodes[k].WatchAsync(_replicas, k % ReplicaCount, handshakes, streams));
        }

        await Task.WhenAll(_nodes.Skip(from).Select(n => n.Snapshot)).WaitAsync(TimeSpan.FromMinutes(5), streams).ConfigureAwait(false);
    }

    private void Row(string what, string value)
    {
        var line = $"{what,-40} {value}";
        _rows.Add(line);

        // Progress as it happens: a 10,000-node run takes minutes.
        Console.Error.WriteLine(line);
    }

    private async Task PrintAsync(List<string> sizeRows)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"== meshports coordinator load test ({options.Label}): {options.Nodes} simulated nodes, {ReplicaCount} replica(s), {options.Grants} grant changes ==");
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
