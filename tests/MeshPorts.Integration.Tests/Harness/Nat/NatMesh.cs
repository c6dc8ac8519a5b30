using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Harness.Nat;

/// <summary>
/// Today's product on the NAT lab: `meshports-coordinator` on the internet (<see cref="NatLab.ServerAddress"/>:7443
/// in the public namespace), `meshctl` beside it, and `meshports-node up` on hosts behind the sites'
/// routers, each told its `--endpoint` by hand (a router's public address, true when a port forward or
/// a port-preserving mapping makes it so) or none, left to discovery. Disposal stops every process and removes the lab and the
/// 0700 directory of state.
/// </summary>
internal sealed class NatMesh : IAsyncDisposable
{
    private const int LogTailChars = 6000;

    private readonly List<MeshNode> _nodes = [];
    private readonly List<(string Label, BackgroundProcess Process)> _services = [];

    private NatMesh(NatLab lab, string directory, CoordinatorProcess coordinator)
    {
        Lab = lab;
        Directory = directory;
        Coordinator = coordinator;
        Meshctl = new Meshctl(lab.Public, coordinator.MeshctlConfig);
    }

    public NatLab Lab { get; }

    public string Directory { get; }

    public CoordinatorProcess Coordinator { get; }

    public Meshctl Meshctl { get; }

    /// <summary>Builds an empty lab and starts the coordinator on the internet; add sites, then nodes.</summary>
    public static async Task<NatMesh> StartAsync(CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the NAT lab runs on Linux network namespaces only");
        }

        var lab = await NatLab.CreateAsync(ct);
        var directory = Path.Combine(
            Path.GetTempPath(),
            string.Create(CultureInfo.InvariantCulture, $"mpit-nat-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}"));
        try
        {
            // The coordinator's data holds its TLS key and admin credential: nobody else's business.
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var coordinator = new CoordinatorProcess(lab.Public, NatLab.ServerAddress, Path.Combine(directory, "coordinator"));
            var mesh = new NatMesh(lab, directory, coordinator);
            await coordinator.StartAsync(ct);
            return mesh;
        }
        catch
        {
            await lab.DisposeAsync();
            DeleteDirectory(directory);
            throw;
        }
    }

    /// <summary>
    /// Creates a token named <paramref name="name"/> and starts `up` on <paramref name="host"/> with
    /// `--endpoint ADVERTISED:51820`, or with no `--endpoint` at all when <paramref name="advertisedAddress"/>
    /// is null (discovery must find it); call <see cref="MeshNode.WaitConnectedAsync"/> next.
    /// </summary>
    public async Task<MeshNode> StartNodeAsync(
        NatHost host, string name, string? advertisedAddress, CancellationToken ct, string? user = null, IReadOnlyList<string>? tags = null, IReadOnlyList<string>? expose = null)
    {
        var join = await Meshctl.TokenCreateAsync(name, user, tags ?? [], ct);
        var node = new MeshNode(host.AsMeshHost(advertisedAddress ?? ""), name, join, expose ?? [], Path.Combine(Directory, "state-" + name));
        _nodes.Add(node);
        await node.StartAsync();
        return node;
    }

    /// <summary>Starts a helper whose output belongs in failure messages; it stops with its namespace.</summary>
    public BackgroundProcess StartService(string label, NetNs ns, IReadOnlyList<string> argv)
    {
        var process = ns.StartBackground(argv);
        lock (_services)
        {
            _services.Add((label, process));
        }

        return process;
    }

    /// <summary>
    /// The coordinator's /metrics (Prometheus text, the embedded relay's meshports_relay_* among them), read from
    /// the internet as Prometheus would: with the bearer token from DATA/metrics-token.
    /// </summary>
    public async Task<string> MetricsAsync(CancellationToken ct)
    {
        var token = (await File.ReadAllTextAsync(Path.Combine(Coordinator.DataDirectory, "metrics-token"), ct)).Trim();
        var result = await Lab.Public.ExecAsync(
            ["curl", "-sSk", "--fail-with-body", "--max-time", "10", "-H", "Authorization: Bearer " + token, Coordinator.Url + "/metrics"], ct, TimeSpan.FromSeconds(30));
        return result.Succeeded ? result.Stdout : throw new InvalidOperationException($"GET /metrics: {result.Describe()}");
    }

    /// <summary>The HTTP status of GET /metrics from the internet with the given Authorization header (none when null).</summary>
    public async Task<string> MetricsStatusAsync(string? authorization, CancellationToken ct)
    {
        List<string> argv = ["curl", "-sSk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"];
        if (authorization is not null)
        {
            argv.AddRange(["-H", "Authorization: " + authorization]);
        }

        argv.Add(Coordinator.Url + "/metrics");
        var result = await Lab.Public.ExecAsync([.. argv], ct, TimeSpan.FromSeconds(30));
        return result.Succeeded ? result.Stdout.Trim() : throw new InvalidOperationException($"GET /metrics: {result.Describe()}");
    }

    /// <summary>The value of one metric line (name with its labels, exactly as written), 0 when absent.</summary>
    public static long Metric(string metrics, string nameWithLabels)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(nameWithLabels + " ", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(nameWithLabels.Length + 1).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>The tails of every process, and every router's rules and mappings, for assertion messages.</summary>
    public async Task<string> LogsAsync(CancellationToken ct)
    {
        var text = new StringBuilder();
        text.AppendLine("=== coordinator ===").AppendLine(Tail(Coordinator.Output));
        foreach (var node in _nodes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"=== node {node.Name} ({node.InterfaceName} in {node.Host.Namespace.Name}) ===")
                .AppendLine(Tail(node.Output));
        }

        lock (_services)
        {
            foreach (var (label, process) in _services)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"=== {label} ===").AppendLine(Tail(process.Output));
            }
        }

        try
        {
            text.Append(await Lab.DescribeAsync(ct));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"(routers not described: {e.Message})");
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await Lab.DisposeAsync();
        DeleteDirectory(Directory);
    }

    private static void DeleteDirectory(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string Tail(string text) => text.Length <= LogTailChars ? text : "..." + text[^LogTailChars..];
}
