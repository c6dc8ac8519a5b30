using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using Perfolizer.Horology;

namespace MeshPorts.Benchmarks.Support;

/// <summary>
/// The suite shares a 2-core machine with builds and tests, so it runs one short job (1 launch, 3 warmup
/// and 3 measured iterations of 250 ms) and finishes in minutes; the numbers are for spotting regressions
/// and allocations, not for publishing. Op/s is shown because the handshake target is stated per second.
/// </summary>
internal static class ShortConfig
{
    public static IConfig Create() =>
        DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithIterationTime(TimeInterval.FromMilliseconds(250)).AsDefault())
            .AddColumn(StatisticColumn.OperationsPerSecond)
            .AddExporter(MarkdownExporter.GitHub)
            .WithOptions(ConfigOptions.JoinSummary);
}
