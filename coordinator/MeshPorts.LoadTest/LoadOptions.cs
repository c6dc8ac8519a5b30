using System.Globalization;

namespace MeshPorts.LoadTest;

/// <summary>Command line of meshports-loadtest; every default is what the benchmark asks for.</summary>
internal sealed class LoadOptions
{
    public const string Usage = """
        Usage: meshports-loadtest --config DATA/meshctl.conf [--pid PID] [--nodes 2000] [--sizes 100,500,2000]
                                  [--grants 200] [--concurrency 32]

        Simulates --nodes nodes as gRPC clients in this one process against a running coordinator (loopback
        only): enrolls them, opens their Watch streams, adds and revokes grants through the admin API and
        measures how long each affected node waits for its delta. --pid is the coordinator's process id, for
        its RSS and CPU seconds from /proc. Prints a table; it is a benchmark, not a test.
        """;

    public string Config { get; private set; } = string.Empty;

    public int? CoordinatorPid { get; private set; }

    public int Nodes { get; private set; } = 2000;

    /// <summary>Mesh sizes at which the size of a one-peer delta is measured.</summary>
    public IReadOnlyList<int> Sizes { get; private set; } = [100, 500, 2000];

    /// <summary>Grant changes (each an add and a revoke) measured at full size.</summary>
    public int Grants { get; private set; } = 200;

    public int Concurrency { get; private set; } = 32;

    public static LoadOptions Parse(IReadOnlyList<string> args)
    {
        var o = new LoadOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                throw new ArgumentException(Usage);
            }

            var value = i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value\n{Usage}");
            switch (name)
            {
                case "--config":
                    o.Config = value;
                    break;
                case "--pid":
                    o.CoordinatorPid = Int(name, value, 1, int.MaxValue);
                    break;
                case "--nodes":
                    o.Nodes = Int(name, value, 2, 100_000);
                    break;
                case "--sizes":
                    o.Sizes = value.Split(',').Select(v => Int(name, v, 2, 100_000)).Order().ToList();
                    break;
                case "--grants":
                    o.Grants = Int(name, value, 1, 100_000);
                    break;
                case "--concurrency":
                    o.Concurrency = Int(name, value, 1, 1024);
                    break;
                default:
                    throw new ArgumentException($"unknown option {name}\n{Usage}");
            }
        }

        if (string.IsNullOrEmpty(o.Config))
        {
            throw new ArgumentException($"--config DATA/meshctl.conf is required\n{Usage}");
        }

        o.Sizes = o.Sizes.Where(s => s <= o.Nodes).Append(o.Nodes).Distinct().Order().ToList();
        return o;
    }

    private static int Int(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{name} {value}: expected a number from {min} to {max}");
}
