using System.Globalization;

namespace MeshPorts.LoadTest;

/// <summary>Command line of meshports-loadtest; every default is what the benchmark asks for.</summary>
internal sealed class LoadOptions
{
    public const string Usage = """
        Usage: meshports-loadtest --config DATA/meshctl.conf [--pid PID[,PID2]] [--nodes 2000] [--sizes 100,500,2000]
                                  [--grants 200] [--concurrency 32] [--failover on|off] [--label NAME] [--figures FILE]
               meshports-loadtest compare FIGURES.json [FIGURES2.json]
               meshports-loadtest relay --help

        Simulates --nodes nodes as gRPC clients in this one process against running coordinators (loopback
        only): enrolls them, opens their Watch streams, adds and revokes grants through the admin API and
        measures how long each affected node waits for its delta. With several URLs in meshctl.conf's url
        line (replicas), node k enrolls through and watches replica k mod R, grant k goes through replica
        k mod R (so every grant reaches one node on another replica), and, with --failover on (the default)
        and the first replica's --pid, the first replica is killed (SIGKILL) at the end: the time until every
        node it had is back on another replica with a snapshot, then a grant through the second replica to
        those nodes. --pid lists the replicas' process ids in the url line's order, for RSS and CPU seconds
        from /proc. --figures writes the figures as JSON, labelled --label, which compare prints side by side.
        Prints a table; it is a benchmark, not a test: exit 1 if p99 >= 1 s or a delta was lost.
        """;

    public string Config { get; private set; } = string.Empty;

    /// <summary>The first replica's process id, if given.</summary>
    public int? CoordinatorPid => Pids.Count > 0 ? Pids[0] : null;

    /// <summary>The replicas' process ids, in the order of meshctl.conf's url line.</summary>
    public IReadOnlyList<int> Pids { get; private set; } = [];

    /// <summary>Kill the first replica at the end and time the nodes' move to the others.</summary>
    public bool Failover { get; private set; } = true;

    /// <summary>Names the run in --figures (e.g. the store).</summary>
    public string Label { get; private set; } = "coordinator";

    /// <summary>Where to write the figures as JSON, if anywhere.</summary>
    public string? FiguresPath { get; private set; }

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
                    o.Pids = value.Split(',').Select(v => Int(name, v, 1, int.MaxValue)).ToList();
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
                case "--failover":
                    o.Failover = value switch
                    {
                        "on" => true,
                        "off" => false,
                        _ => throw new ArgumentException($"--failover {value}: expected on or off"),
                    };
                    break;
                case "--label":
                    o.Label = value.Length > 0 ? value : throw new ArgumentException("--label needs a name, e.g. PostgreSQL");
                    break;
                case "--figures":
                    o.FiguresPath = value.Length > 0 ? value : throw new ArgumentException("--figures needs a file name, e.g. /tmp/figures.json");
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
