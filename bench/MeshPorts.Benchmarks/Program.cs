using BenchmarkDotNet.Running;
using MeshPorts.Benchmarks.Support;

if (args.Length > 0 && args[0] == "--alloc-probe")
{
    return AllocationProbe.Run();
}

BenchmarkSwitcher.FromAssembly(typeof(ShortConfig).Assembly).Run(args, ShortConfig.Create());
return 0;
