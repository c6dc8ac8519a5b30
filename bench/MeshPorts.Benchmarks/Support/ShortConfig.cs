using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace MeshPorts.Benchmarks.Support;

/// <summary>
/// The suite shares a 2-core machine with builds and tests, so it runs one short job (1 launch, 3 warmup
/// and 3 measured iterations of 250 ms) and finishes in minutes; the numbers are for spotting regressions
/// and allocations, not for publishing. It runs in-process: building BenchmarkDotNet's per-job child
/// project took longer than its 2-minute timeout on the busy machine, and the paths under test do not
/// need process isolation. Op/s is shown because the handshake target is stated per second.
/// </summary>
internal static class ShortConfig
{
    public static IConfig Create() =>
        DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithIterationTime(TimeInterval.FromMilliseconds(250)).WithToolchain(InProcessEmitToolchain.Instance).AsDefault())
            .AddColumn(StatisticColumn.OperationsPerSecond)
            .AddExporter(MarkdownExporter.GitHub)
            .WithOptions(ConfigOptions.JoinSummary);
}
