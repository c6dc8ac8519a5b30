using System.Globalization;
using MeshPorts.Benchmarks.Crypto;
using MeshPorts.Benchmarks.Engine;
using MeshPorts.Benchmarks.Filter;
using MeshPorts.Benchmarks.Handshakes;
using MeshPorts.Benchmarks.Routing;
using MeshPorts.WireGuard.Crypto;

namespace MeshPorts.Benchmarks.Support;

/// <summary>
/// A quick pass over every benchmark without BenchmarkDotNet, driving the same benchmark classes (same
/// setup, same steady-state checks): exact bytes allocated on this thread per operation
/// (GC.GetAllocatedBytesForCurrentThread, after a warm-up run so tiering and lazy statics are done) and
/// thread CPU time per operation, which the other engineers' builds on the shared cores inflate far less
/// than the wall-clock time BenchmarkDotNet reports.
/// </summary>
internal static class AllocationProbe
{
    private const int Loop = 10_000;

    public static int Run()
    {
        Console.WriteLine("| benchmark | bytes/op | CPU ns/op | CPU op/s |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var size in new[] { 64, 512, 1420 })
        {
            var aead = new AeadBenchmarks { Size = size };
            aead.Setup();
            Report($"Aead.Seal {size} B", () => Repeat(aead.Seal), Loop);
            Report($"Aead.Open {size} B", () => Repeat(() => aead.Open()), Loop);
            aead.Cleanup();
        }

        foreach (var size in new[] { 64, 1420 })
        {
            var outbound = new EngineOutboundBenchmarks { Size = size };
            outbound.Setup();
            Report($"Engine.ProcessOutbound {size} B", () => Repeat(() => outbound.ProcessOutbound()), Loop);
            outbound.Verify();

            var inbound = new EngineInboundBenchmarks { Size = size };
            inbound.Setup();
            Report($"Engine.ProcessInbound {size} B", () => inbound.ProcessInbound(), 32_768, inbound.SealBatch);
            inbound.Verify();
        }

        // The handshake's building blocks on their own, to show where a handshake's time goes.
        var secret = new byte[32];
        var peerPublic = new byte[32];
        var shared = new byte[32];
        var sealedKey = new byte[48];
        X25519.GenerateKeyPair(secret, peerPublic);
        Report("  part: X25519.GenerateKeyPair", () => Repeat(() => X25519.GenerateKeyPair(secret, peerPublic), 500), 500);
        Report("  part: X25519.TryAgree", () => Repeat(() => X25519.TryAgree(secret, peerPublic, shared), 500), 500);
        Report("  part: Aead.Seal one-shot raw key", () => Repeat(() => Aead.Seal(secret, 0, shared, peerPublic, sealedKey), 500), 500);
        Report("  part: Blake2s.Hash 64 B", () => Repeat(() => Blake2s.Hash(shared, secret, peerPublic), 500), 500);

        var handshake = new HandshakeBenchmarks();
        handshake.Setup();
        Report("Handshake.CreateInitiation", () => Repeat(handshake.CreateInitiation, 500), 500);
        Report("Handshake.CookieReplyUnderLoad", () => Repeat(() => handshake.CookieReplyUnderLoad(), 1_000), 1_000);
        handshake.Verify();
        foreach (var underLoad in new[] { false, true })
        {
            var response = new HandshakeResponseBenchmarks { UnderLoad = underLoad };
            response.Setup();
            Report($"Handshake.Respond underLoad={underLoad}", response.ConsumeInitiationAndRespond, 256, response.MakeBatch);
            response.Verify();
        }

        var routing = new AllowedIpsBenchmarks();
        routing.Setup();
        Report("AllowedIps.LookupIPv4Hit", () => routing.LookupIPv4Hit(), 4_096);
        Report("AllowedIps.LookupIPv4Random", () => routing.LookupIPv4Random(), 4_096);
        Report("AllowedIps.LookupIPv6Hit", () => routing.LookupIPv6Hit(), 4_096);
        Report("AllowedIps.LookupIPv6Random", () => routing.LookupIPv6Random(), 4_096);

        var filter = new PacketFilterBenchmarks();
        filter.Setup();
        Report("PacketFilter.Inbound (TCP est.)", () => Repeat(() => filter.Inbound()), Loop);
        Report("PacketFilter.Outbound (TCP est.)", () => Repeat(() => filter.Outbound()), Loop);
        filter.Verify();
        return 0;
    }

    private static void Repeat(Action action) => Repeat(action, Loop);

    private static void Repeat(Action action, int count)
    {
        for (var i = 0; i < count; i++)
        {
            action();
        }
    }

    /// <summary>One warm-up run, then three measured runs; <paramref name="setup"/> runs before each, unmeasured.</summary>
    private static void Report(string name, Action run, int operationsPerRun, Action? setup = null)
    {
        setup?.Invoke();
        run();
        long bytes = 0, cpu = 0;
        const int Runs = 3;
        for (var r = 0; r < Runs; r++)
        {
            setup?.Invoke();
            var bytesBefore = GC.GetAllocatedBytesForCurrentThread();
            var cpuBefore = ThreadCpuClock.Nanoseconds;
            run();
            cpu += ThreadCpuClock.Nanoseconds - cpuBefore;
            bytes += GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
        }

        var ops = (double)operationsPerRun * Runs;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {bytes / ops:F1} | {cpu / ops:N0} | {ops * 1e9 / cpu:N0} |"));
    }
}
