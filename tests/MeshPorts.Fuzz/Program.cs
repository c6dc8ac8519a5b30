using MeshPorts.Fuzz;
using SharpFuzz;

// The fuzz program: scripts/fuzz.sh runs `run TARGET` under libFuzzer (driver/libfuzzer-dotnet.c);
// `seed DIR` writes the seed corpora; `replay TARGET FILE...` runs inputs once, as the tests do.
// Instrumented code writes its edges to Trace.SharedMem from the first call on, and the targets' static
// setup runs before Fuzzer.LibFuzzer.Run points it at the fuzzer's shared memory: give it somewhere to go.
unsafe
{
    SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
}

const string Usage = "usage: MeshPorts.Fuzz list | pending | seed DIR | run TARGET | replay TARGET FILE...";
if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

switch (args[0])
{
    case "list":
        foreach (var target in FuzzTargets.All)
        {
            Console.WriteLine($"{target.Name}\t{target.Feeds}");
        }

        return 0;
    case "pending":
        foreach (var line in FuzzTargets.Pending)
        {
            Console.WriteLine(line);
        }

        return 0;
    case "seed" when args.Length == 2:
        foreach (var target in FuzzTargets.All)
        {
            var dir = Path.Combine(args[1], target.Name);
            Directory.CreateDirectory(dir);
            foreach (var (name, data) in target.Seeds())
            {
                File.WriteAllBytes(Path.Combine(dir, "seed-" + name), data);
            }
        }

        return 0;
    case "run" when args.Length == 2 && FuzzTargets.Find(args[1]) is { } run:
        Fuzzer.LibFuzzer.Run(data => run.Run(data));
        return 0;
    case "replay" when args.Length >= 3 && FuzzTargets.Find(args[1]) is { } replay:
        var failed = 0;
        foreach (var file in args.Skip(2))
        {
            try
            {
                replay.Run(File.ReadAllBytes(file));
            }
            catch (Exception ex)
            {
                failed++;
                Console.Error.WriteLine($"{file}: {ex}");
            }
        }

        return failed == 0 ? 0 : 1;
    default:
        Console.Error.WriteLine(args.Length >= 2 && args[0] is "run" or "replay" ? $"unknown target '{args[1]}'; 'list' names them" : Usage);
        return 2;
}
