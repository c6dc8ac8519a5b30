using System.Globalization;
using MeshPorts.Benchmarks.Engine;
using MeshPorts.WireGuard;

namespace MeshPorts.Benchmarks.Support;

/// <summary>
/// A quick, exact allocation count for the per-packet engine paths, without BenchmarkDotNet: bytes
/// allocated on this thread across 10,000 packets after a warm-up (so tiering and lazy statics are
/// done). The parts of each path are measured on their own too, so a non-zero total can be pinned to
/// the call that allocates.
/// </summary>
internal static class AllocationProbe
{
    private const int Packets = 10_000;

    public static int Run()
    {
        Console.WriteLine("path                                   bytes/packet");
        foreach (var size in new[] { 64, 1420 })
        {
            var pair = new EnginePair(TimeProvider.System);
            pair.Establish();
            var packet = new byte[size];
            var datagrams = new byte[Packets][];
            var lengths = new int[Packets];
            for (var i = 0; i < Packets; i++)
            {
                datagrams[i] = new byte[size + WireGuardEngine.MessageOverhead + 16];
            }

            var plaintext = new byte[size + 16];
            var next = 0;

            // Warm up both directions, then measure each on its own.
            Measure(() => Seal(pair, packet, datagrams, lengths, ref next), 2_000);
            next = 0;
            Measure(() => Open(pair, datagrams, lengths, plaintext, ref next), 2_000);
            next = 0;
            var outbound = Measure(() => Seal(pair, packet, datagrams, lengths, ref next), Packets);
            next = 0;
            var inbound = Measure(() => Open(pair, datagrams, lengths, plaintext, ref next), Packets);
            Report($"ProcessOutbound {size} B", outbound);
            Report($"ProcessInbound {size} B", inbound);
            Report($"  (datagrams emitted off-path: A {pair.OutA.Discarded}, B {pair.OutB.Discarded})", -1);
        }

        var time = TimeProvider.System;
        Report("TimeProvider.System.GetTimestamp", Measure(() => time.GetTimestamp(), Packets));
        Report("TimeProvider.System.GetUtcNow", Measure(() => time.GetUtcNow(), Packets));
        return 0;
    }

    private static void Seal(EnginePair pair, byte[] packet, byte[][] datagrams, int[] lengths, ref int next)
    {
        var result = pair.A.ProcessOutbound(pair.BOnA, packet, datagrams[next], pair.OutA);
        if (result.Action != OutboundAction.Send)
        {
            throw new InvalidOperationException($"Outbound {result.Action} {result.Reason}");
        }

        lengths[next++] = result.Length;
    }

    private static void Open(EnginePair pair, byte[][] datagrams, int[] lengths, byte[] plaintext, ref int next)
    {
        var result = pair.B.ProcessInbound(datagrams[next].AsSpan(0, lengths[next]), EnginePair.EndpointA, plaintext, pair.OutB);
        next++;
        if (result.Action != InboundAction.WriteToTun)
        {
            throw new InvalidOperationException($"Inbound {result.Action} {result.Reason}");
        }
    }

    private static double Measure(Action action, int count)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < count; i++)
        {
            action();
        }

        return (double)(GC.GetAllocatedBytesForCurrentThread() - before) / count;
    }

    private static void Report(string path, double bytesPerPacket) =>
        Console.WriteLine(bytesPerPacket < 0 ? path : string.Create(CultureInfo.InvariantCulture, $"{path,-38} {bytesPerPacket,10:F1}"));
}
