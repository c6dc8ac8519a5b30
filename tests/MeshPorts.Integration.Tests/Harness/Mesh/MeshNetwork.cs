using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>
/// A small office LAN: a "lan" namespace with a bridge that hosts the coordinator, and one namespace
/// per host on a veth into that bridge. Addresses are 10.98.0.0/24 inside namespaces this run made, so
/// nothing reaches or collides with the machine's networks. Disposal kills every process, removes
/// every namespace, socket and temporary directory, also when the test failed.
/// </summary>
internal sealed class MeshNetwork : IAsyncDisposable
{
    public const string LanAddress = "10.98.0.1";

    /// <summary>Where a second coordinator replica listens, on the same bridge.</summary>
    public const string ReplicaAddress = "10.98.0.2";
    private const string Subnet = "10.98.0.";
    private const int PrefixLength = 24;
    private const int FirstHostOctet = 11;
    private const int LogTailChars = 6000;

    private readonly List<MeshHost> _hosts = [];
    private readonly List<MeshNode> _nodes = [];
    private readonly List<(string Label, BackgroundProcess Process)> _services = [];
    private CoordinatorProcess? _coordinator;
    private CoordinatorProcess? _replica;
    private Meshctl? _meshctl;

    private MeshNetwork(NetNs lan, string directory)
    {
        Lan = lan;
        Directory = directory;
    }

    public NetNs Lan { get; }

    /// <summary>A 0700 directory for the coordinator's data and the nodes' state dirs.</summary>
    public string Directory { get; }

    public IReadOnlyList<MeshHost> Hosts => _hosts;

    public CoordinatorProcess Coordinator => _coordinator ?? throw new InvalidOperationException("call StartCoordinatorAsync first");

    public Meshctl Meshctl => _meshctl ?? throw new InvalidOperationException("call StartCoordinatorAsync first");

    /// <summary>The second replica, on <see cref="ReplicaAddress"/>; see <see cref="StartReplicatedCoordinatorAsync"/>.</summary>
    public CoordinatorProcess Replica => _replica ?? throw new InvalidOperationException("call StartReplicatedCoordinatorAsync first");

    public static async Task<MeshNetwork> CreateAsync(IReadOnlyList<string> roles, CancellationToken ct)
    {
        Prerequisites.Require();
        await NetNsSweeper.EnsureSweptAsync();
        var directory = Path.Combine(
            Path.GetTempPath(),
            string.Create(CultureInfo.InvariantCulture, $"mpit-mesh-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}"));
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Prerequisites.Require lets only Linux through");
        }

        // The coordinator's data holds its TLS key and admin credential: nobody else's business.
        System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var network = new MeshNetwork(await NetNs.CreateAsync("lan", ct), directory);
        try
        {
            await network.Lan.IpAsync(ct, "link", "add", "br0", "type", "bridge");
            await network.Lan.IpAsync(ct, "addr", "add", $"{LanAddress}/{PrefixLength}", "dev", "br0");
            await network.Lan.IpAsync(ct, "link", "set", "br0", "up");
            for (var i = 0; i < roles.Count; i++)
            {
                var role = roles[i];
                var ns = await NetNs.CreateAsync(role, ct);
                var host = new MeshHost(role, ns, Subnet + (FirstHostOctet + i).ToString(CultureInfo.InvariantCulture));
                network._hosts.Add(host);
                var bridgePort = "v-" + role;

                // Created directly inside the namespaces, so no name ever appears in the host namespace.
                await Command.RunCheckedAsync(
                    ["ip", "link", "add", "eth0", "netns", ns.Name, "type", "veth", "peer", bridgePort, "netns", network.Lan.Name], ct);
                await ns.IpAsync(ct, "addr", "add", $"{host.Underlay}/{PrefixLength}", "dev", "eth0");
                await ns.IpAsync(ct, "link", "set", "eth0", "up");
                await network.Lan.IpAsync(ct, "link", "set", bridgePort, "master", "br0");
                await network.Lan.IpAsync(ct, "link", "set", bridgePort, "up");
            }

            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    public MeshHost Host(string role) =>
        _hosts.SingleOrDefault(h => h.Role == role) ?? throw new ArgumentException($"no host {role} in this network", nameof(role));

    public async Task<CoordinatorProcess> StartCoordinatorAsync(CancellationToken ct)
    {
        var data = Path.Combine(Directory, "coordinator");
        _coordinator = new CoordinatorProcess(Lan, LanAddress, data);
        await _coordinator.StartAsync(ct);
        _meshctl = new Meshctl(Lan, _coordinator.MeshctlConfig);
        return _coordinator;
    }

    /// <summary>
    /// Two replicas on one database, as docs/coordinator.md sets them up: A (<see cref="Coordinator"/>) starts
    /// first and makes the data dir; B (<see cref="Replica"/>) runs on a copy of it (TLS key, so one pin serves
    /// both, and the admin credential) with the same --store. Both list both URLs, so join strings, meshctl.conf
    /// and the nodes carry A then B.
    /// </summary>
    /// <param name="store">Both replicas' --store; null: A's SQLite file, shared.</param>
    public async Task StartReplicatedCoordinatorAsync(CancellationToken ct, string? store = null)
    {
        await Lan.IpAsync(ct, "addr", "add", $"{ReplicaAddress}/{PrefixLength}", "dev", "br0");
        var dataA = Path.Combine(Directory, "coordinator");
        var dataB = Path.Combine(Directory, "replica");
        string[] urls = [$"https://{LanAddress}:{CoordinatorProcess.Port}", $"https://{ReplicaAddress}:{CoordinatorProcess.Port}"];
        store ??= "sqlite:" + Path.Combine(dataA, "coordinator.db");
        _coordinator = new CoordinatorProcess(Lan, LanAddress, dataA, urls, store);
        await _coordinator.StartAsync(ct);

        // cp -a keeps the 0600 modes of the key and the credential; B's copy of the database would only mislead.
        await Command.RunCheckedAsync(["cp", "-a", dataA, dataB], ct);
        foreach (var file in System.IO.Directory.GetFiles(dataB, "coordinator.db*"))
        {
            File.Delete(file);
        }

        _replica = new CoordinatorProcess(Lan, ReplicaAddress, dataB, urls, store);
        await _replica.StartAsync(ct);
        _meshctl = new Meshctl(Lan, _coordinator.MeshctlConfig);
    }

    /// <summary>Creates a token named after the node and starts `up` on the host of the same role; call <see cref="MeshNode.WaitConnectedAsync"/> next.</summary>
    public async Task<MeshNode> StartNodeAsync(
        string role, CancellationToken ct, string? user = null, IReadOnlyList<string>? tags = null, IReadOnlyList<string>? expose = null, IReadOnlyList<string>? upArgs = null)
    {
        var join = await Meshctl.TokenCreateAsync(role, user, tags ?? [], ct);
        var node = new MeshNode(Host(role), role, join, expose ?? [], Path.Combine(Directory, "state-" + role), upArgs);
        _nodes.Add(node);
        await node.StartAsync();
        return node;
    }

    /// <summary>Starts a helper (an echo service, iperf3) whose output belongs in failure messages.</summary>
    public BackgroundProcess StartService(string label, MeshHost host, IReadOnlyList<string> argv)
    {
        var process = host.Namespace.StartBackground(argv);
        lock (_services)
        {
            _services.Add((label, process));
        }

        return process;
    }

    /// <summary>The tails of every process this network ran, for assertion messages.</summary>
    public string Logs()
    {
        var text = new StringBuilder();
        text.AppendLine("=== coordinator ===").AppendLine(Tail(_coordinator?.Output ?? "(not started)"));
        if (_replica is not null)
        {
            text.AppendLine("=== coordinator replica ===").AppendLine(Tail(_replica.Output));
        }
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

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        foreach (var host in _hosts)
        {
            await host.Namespace.DisposeAsync();
        }

        await Lan.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Tail(string text) => text.Length <= LogTailChars ? text : "..." + text[^LogTailChars..];
}
