using System.Diagnostics;
using System.Globalization;
using System.Net;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using MeshPorts.Benchmarks.Support;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Agent;
using MeshPorts.Node.Filter;
using MeshPorts.Node.StateDirectory;
using MeshPorts.TestKit;
using MeshPorts.WireGuard.Keys;
using Microsoft.Extensions.Logging.Abstractions;
using MeshDevice = MeshPorts.Node.Device.Device;

namespace MeshPorts.Benchmarks.Agent;

/// <summary>
/// What one Watch delta costs the node on a netmap of <c>--size</c> peers and as many rules, phase by
/// phase, as MeshAgent.HandleEventAsync runs them: MeshView.Apply (the delta into the view's
/// dictionaries), ToDeviceConfig (the whole view converted again), Device.ApplyMesh (the device diffs
/// it against what it has) and the netmap cache (the whole view serialised, written and fsynced).
/// The deltas alternate between one peer's new endpoint and one rule replaced by another, the two
/// changes a running mesh sees most. CPU figures are this thread's CPU time; the cache write is wall
/// time, because it is mostly the fsync. Run: dotnet run -c Release --project bench/MeshPorts.Benchmarks -- --netmap-probe
/// </summary>
internal static class NetmapDeltaProbe
{
    public static int Run(int size, int deltas)
    {
        var until = DateTimeOffset.UtcNow.AddHours(1);
        var filter = new PacketFilter(TimeProvider.System, [IPAddress.Parse("100.64.0.1")]);
        using var device = new MeshDevice(new MemoryTun("probe0"), new MemoryNetwork().Host("192.0.2.9"), TimeProvider.System, NullLogger.Instance, filter: filter);
        device.Configure(WgKey.GeneratePrivate(), 51820);
        var view = new MeshView();
        var snapshot = new Snapshot { Self = new SelfInfo { NodeId = "self", Name = "self", OverlayIpv4 = "100.64.0.1" } };
        for (var i = 0; i < size; i++)
        {
            snapshot.Peers.Add(MakePeer(i, until, endpointPort: 51820));
            snapshot.InboundRules.Add(MakeRule("r" + i.ToString(CultureInfo.InvariantCulture), i, until));
        }

        view.Apply(new WatchEvent { Serial = 1, Snapshot = snapshot });
        device.ApplyMesh(view.ToDeviceConfig());
        var stateDir = Directory.CreateTempSubdirectory("meshports-probe-");
        try
        {
            var store = new NodeStateStore(stateDir.FullName);
            var phases = new long[5];
            var serial = 1UL;
            var next = size;

            // The first pass warms up (tiering, lazy statics) and is not counted.
            foreach (var counted in new[] { false, true })
            {
                Array.Clear(phases);
                for (var d = 0; d < deltas; d++)
                {
                    var delta = new Delta();
                    if (d % 2 == 0)
                    {
                        delta.PeersUpserted.Add(MakePeer(d % size, until, endpointPort: 40000 + d));
                    }
                    else
                    {
                        delta.RulesRemoved.Add(OldestRuleId(next, size));
                        delta.RulesAdded.Add(MakeRule("r" + next.ToString(CultureInfo.InvariantCulture), next % size, until));
                        next++;
                    }

                    var watchEvent = new WatchEvent { Serial = ++serial, Delta = delta };
                    var t0 = ThreadCpuClock.Nanoseconds;
                    if (view.Apply(watchEvent) != WatchApplyOutcome.Applied)
                    {
                        throw new InvalidOperationException("the probe's delta was not applied");
                    }

                    var t1 = ThreadCpuClock.Nanoseconds;
                    var config = view.ToDeviceConfig();
                    var t2 = ThreadCpuClock.Nanoseconds;
                    device.ApplyMesh(config);
                    var t3 = ThreadCpuClock.Nanoseconds;
                    var bytes = view.ToSnapshotEvent().ToByteArray();
                    var t4 = ThreadCpuClock.Nanoseconds;
                    var wall = Stopwatch.GetTimestamp();
                    store.SaveNetmapCache(bytes);
                    var written = Stopwatch.GetElapsedTime(wall);
                    phases[0] += t1 - t0;
                    phases[1] += t2 - t1;
                    phases[2] += t3 - t2;
                    phases[3] += t4 - t3;
                    phases[4] += written.Ticks * 100;
                }

                if (counted)
                {
                    Print(size, deltas, phases, view);
                }
            }
        }
        finally
        {
            stateDir.Delete(recursive: true);
        }

        return 0;
    }

    private static string OldestRuleId(int next, int size) => "r" + (next - size).ToString(CultureInfo.InvariantCulture);

    private static void Print(int size, int deltas, long[] phases, MeshView view)
    {
        static string Us(long totalNs, int count) => (totalNs / (double)count / 1000).ToString("0.0", CultureInfo.InvariantCulture);
        Console.WriteLine($"One delta on {size} peers and {size} rules ({deltas} deltas; view now {view.PeerCount} peers, {view.RuleCount} rules):");
        Console.WriteLine("| phase | µs per delta |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine($"| MeshView.Apply (the delta itself), CPU | {Us(phases[0], deltas)} |");
        Console.WriteLine($"| MeshView.ToDeviceConfig (whole view), CPU | {Us(phases[1], deltas)} |");
        Console.WriteLine($"| Device.ApplyMesh (diff against the device), CPU | {Us(phases[2], deltas)} |");
        Console.WriteLine($"| netmap cache serialised (whole view), CPU | {Us(phases[3], deltas)} |");
        Console.WriteLine($"| netmap cache written and fsynced, wall | {Us(phases[4], deltas)} |");
        Console.WriteLine($"| total CPU (without the write) | {Us(phases[0] + phases[1] + phases[2] + phases[3], deltas)} |");
    }

    private static Peer MakePeer(int i, DateTimeOffset until, int endpointPort)
    {
        var key = new byte[WgKey.Size];
        BitConverter.TryWriteBytes(key.AsSpan(0, 4), i + 1);
        key[31] = 0x5A;
        var peer = new Peer
        {
            NodeId = "n" + i.ToString(CultureInfo.InvariantCulture),
            Name = "peer-" + i.ToString(CultureInfo.InvariantCulture),
            WireguardPublicKey = ByteString.CopyFrom(key),
            ValidUntil = Timestamp.FromDateTimeOffset(until),
        };
        peer.AllowedIps.Add(string.Create(CultureInfo.InvariantCulture, $"100.64.{(i / 250) + 1}.{(i % 250) + 2}/32"));
        peer.Endpoints.Add(string.Create(CultureInfo.InvariantCulture, $"192.0.2.{(i % 250) + 2}:{endpointPort}"));
        return peer;
    }

    private static InboundRule MakeRule(string id, int source, DateTimeOffset until) => new()
    {
        Id = id,
        SourceNodeId = "n" + source.ToString(CultureInfo.InvariantCulture),
        SourceName = "peer-" + source.ToString(CultureInfo.InvariantCulture),
        Port = (uint)(1000 + (source % 60000)),
        Protocol = Protocol.Tcp,
        NotAfter = Timestamp.FromDateTimeOffset(until),
        AllowedBy = "grant:" + id,
        Kind = RuleKind.Grant,
    };
}
