using System.Globalization;
using BenchmarkDotNet.Running;
using MeshPorts.Benchmarks.Agent;
using MeshPorts.Benchmarks.Support;

if (args.Length > 0 && args[0] == "--alloc-probe")
{
    return AllocationProbe.Run();
}

if (args.Length > 0 && args[0] == "--netmap-probe")
{
    var size = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
    return NetmapDeltaProbe.Run(size, deltas: 200);
}

if (args.Length > 0 && args[0] == "--grant-recompute-probe")
{
    var sizes = (args.Length > 1 ? args[1] : "1000,10000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
    return MeshPorts.Benchmarks.Netmaps.GrantRecomputeProbe.Run(sizes);
}

BenchmarkSwitcher.FromAssembly(typeof(ShortConfig).Assembly).Run(args, ShortConfig.Create());
return 0;
