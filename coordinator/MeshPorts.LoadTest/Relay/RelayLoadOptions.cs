using System.Globalization;

namespace MeshPorts.LoadTest.Relay;

/// <summary>Command line of <c>meshports-loadtest relay</c>; the defaults are the benchmark (200 pairs through one relay).</summary>
internal sealed class RelayLoadOptions
{
    public const string Usage = """
        Usage: meshports-loadtest relay --config DATA/meshctl.conf [--pairs 200] [--rate 50[,200...]] [--size 1452]
                                        [--secs 10] [--relay-id coordinator] [--relay-pid PID] [--concurrency 16]

        Simulates --pairs pairs of nodes in this one process against a running coordinator (loopback only).
        Every node has its own machine key, enrolls with a join token, gets a grant to its pair through the
        admin API and fetches its relay ticket (GetRelayTicket); then it opens the relay's TLS stream
        (Challenge, Hello, Welcome) and its UDP session (keepalives) from its own UDP socket, as a node does.
        For each --rate (datagrams a second each node sends its pair, both ways at once) it runs --secs of
        direct loopback UDP between the pairs, then --secs through the relay, with --size-byte datagrams (a
        full WireGuard data message at MTU 1420), and prints delivered throughput, loss and one-way latency
        (sender and receiver share one clock) side by side. --relay-id picks the relay from the ticket's list;
        --relay-pid is its process, for CPU and RSS from /proc. A benchmark, not a test: exit 1 only when
        a step could not run or the first rate lost a datagram through the relay.
        """;

    public string Config { get; private set; } = string.Empty;

    public int Pairs { get; private set; } = 200;

    /// <summary>Datagrams a second each node sends to its pair, one step per value.</summary>
    public IReadOnlyList<int> Rates { get; private set; } = [50];

    /// <summary>Bytes of each datagram: a WireGuard data message (16-byte header, 1420-byte packet, 16-byte tag).</summary>
    public int Size { get; private set; } = 1452;

    public int Seconds { get; private set; } = 10;

    public string RelayId { get; private set; } = "coordinator";

    public int? RelayPid { get; private set; }

    public int Concurrency { get; private set; } = 16;

    public static RelayLoadOptions Parse(IReadOnlyList<string> args)
    {
        var o = new RelayLoadOptions();
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
                case "--pairs":
                    o.Pairs = Int(name, value, 1, 10_000);
                    break;
                case "--rate":
                    o.Rates = value.Split(',').Select(v => Int(name, v, 1, 100_000)).ToList();
                    break;
                case "--size":
                    o.Size = Int(name, value, PayloadFormat.MinSize, 65_535);
                    break;
                case "--secs":
                    o.Seconds = Int(name, value, 1, 3600);
                    break;
                case "--relay-id":
                    o.RelayId = value.Length > 0 ? value : throw new ArgumentException("--relay-id needs a relay id, e.g. coordinator");
                    break;
                case "--relay-pid":
                    o.RelayPid = Int(name, value, 1, int.MaxValue);
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

        return o;
    }

    /// <summary>Options for a caller that is not the command line (tests).</summary>
    public static RelayLoadOptions Create(string config, int pairs, int rate, int seconds, string relayId, int? relayPid = null) =>
        Parse(["--config", config, "--pairs", Str(pairs), "--rate", Str(rate), "--secs", Str(seconds), "--relay-id", relayId,
            .. relayPid is { } pid ? new[] { "--relay-pid", Str(pid) } : []]);

    private static string Str(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static int Int(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{name} {value}: expected a number from {min} to {max}");
}
