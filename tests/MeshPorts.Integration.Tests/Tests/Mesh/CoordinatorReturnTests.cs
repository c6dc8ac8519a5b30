using System.Diagnostics;
using System.Globalization;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Tests.Mesh;

/// <summary>
/// docs/node.md: while the coordinator cannot be reached at all, a node retries after a full-jitter delay of
/// at most 4 s, so after an outage of any length it follows the coordinator again within 5 s of its return
/// (and a fleet comes back spread over those 4 s rather than all at once).
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class CoordinatorReturnTests
{
    private static readonly TimeSpan BackWithin = TimeSpan.FromSeconds(5);

    // Long enough for the old backoff (1 s doubling to 30 s) to reach its ceiling, as a real outage does.
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(35);

    private static readonly string[] Roles = ["a", "b", "c"];

    [Trait("Category", "Slow")]
    [Fact(Timeout = 360_000)]
    public async Task CoordinatorBackAfterALongOutage_EveryNodeWatchesAgainWithinFiveSeconds()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(340));
        var ct = cts.Token;
        await using var network = await MeshNetwork.CreateAsync(Roles, ct);
        await network.StartCoordinatorAsync(ct);
        var nodes = new List<MeshNode>();
        foreach (var role in Roles)
        {
            nodes.Add(await network.StartNodeAsync(role, ct));
        }

        foreach (var node in nodes)
        {
            await node.WaitConnectedAsync(ct);
        }

        await network.Coordinator.KillAsync(ct);
        foreach (var node in nodes)
        {
            var lost = await WaitForAsync(node, connected: false, TimeSpan.FromSeconds(30), ct);
            MeshAssert.True(lost is not null, $"{node.Name} still showed coordinator.connected 30 s after the coordinator was killed", network);
        }

        await Task.Delay(Outage, ct);
        await network.Coordinator.StartAsync(ct);
        foreach (var node in nodes)
        {
            var back = await WaitForAsync(node, connected: true, TimeSpan.FromSeconds(90), ct);
            MeshAssert.True(back is not null, $"{node.Name} did not show coordinator.connected within 90 s of the coordinator's restart", network);
        }

        // Timed from the programs' own log lines (one clock, this machine's): `status` polling would add its own
        // process start-up to every figure.
        var listening = LastStamp(network.Coordinator.Output, "coordinator listening on")
            ?? throw new InvalidOperationException("the coordinator logged no \"coordinator listening on\" line");
        var figures = nodes.Select(n => (n.Name, Back: FirstStampAfter(n.Output, "Connected to the coordinator", listening) - listening)).ToList();
        var text = string.Join(", ", figures.Select(f => f.Back is { } b ? string.Create(CultureInfo.InvariantCulture, $"{f.Name} {b.TotalSeconds:0.0} s") : $"{f.Name} (no log line)"));
        Console.WriteLine($"after a {Outage.TotalSeconds:0} s outage, applying the coordinator's snapshot again: {text} after it listened");
        MeshAssert.True(
            figures.All(f => f.Back is { } b && b <= BackWithin),
            $"after a {Outage.TotalSeconds:0} s outage not every node followed the coordinator within {BackWithin.TotalSeconds:0} s of its return: {text}",
            network);
    }

    private static DateTimeOffset? LastStamp(string log, string marker) =>
        Stamps(log, marker).LastOrDefault() is { } last && last != default ? last : null;

    private static DateTimeOffset? FirstStampAfter(string log, string marker, DateTimeOffset after) =>
        Stamps(log, marker).Where(t => t > after).Select(t => (DateTimeOffset?)t).FirstOrDefault();

    /// <summary>The timestamps (each line's first word, RFC 3339 UTC) of the lines holding <paramref name="marker"/>.</summary>
    private static IEnumerable<DateTimeOffset> Stamps(string log, string marker) =>
        log.Split('\n')
            .Where(line => line.Contains(marker, StringComparison.Ordinal))
            .Select(line => DateTimeOffset.TryParse(line.Split(' ', 2)[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : (DateTimeOffset?)null)
            .Where(at => at is not null)
            .Select(at => at!.Value);

    /// <summary>Polls `status --json` until coordinator.connected is <paramref name="connected"/>; how long that took, or null.</summary>
    private static async Task<TimeSpan?> WaitForAsync(MeshNode node, bool connected, TimeSpan within, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var deadline = clock.Elapsed + within;
        while (clock.Elapsed < deadline)
        {
            var result = await node.TryStatusAsync(ct);
            if (result.Succeeded && node.ParseStatus(result.Stdout).Coordinator.Connected == connected)
            {
                return clock.Elapsed;
            }

            await Task.Delay(100, ct);
        }

        return null;
    }
}
