using System.Globalization;
using System.Text;

namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// One userspace WireGuard daemon in a namespace, driven only through stock tools: `wg` over the UAPI
/// socket and `ip` for addresses and routes. Both implementations share this surface, so every test
/// runs unchanged against wireguard-go and meshports-node.
/// </summary>
internal abstract class WgPeer : IAsyncDisposable
{
    private const string UapiDirectory = "/var/run/wireguard";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private BackgroundProcess? _daemon;

    protected WgPeer(NetNs ns, string interfaceName)
    {
        Namespace = ns;
        InterfaceName = interfaceName;
    }

    public abstract PeerKind Kind { get; }

    public NetNs Namespace { get; }

    public string InterfaceName { get; }

    public string UapiSocket => Path.Combine(UapiDirectory, InterfaceName + ".sock");

    /// <summary>What the daemon printed so far, for failure messages.</summary>
    public string DaemonOutput => _daemon?.Output ?? "(not started)";

    public static WgPeer Create(PeerKind kind, NetNs ns) => kind switch
    {
        PeerKind.WireGuardGo => new WireGuardGoPeer(ns, UniqueNames.Interface()),
        PeerKind.Meshports => new MeshportsPeer(ns, UniqueNames.Interface(), offloads: true),
        PeerKind.MeshportsNoOffload => new MeshportsPeer(ns, UniqueNames.Interface(), offloads: false),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Starts the daemon in the foreground and waits for its TUN device and UAPI socket.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        var (argv, environment) = DaemonCommand();
        _daemon = Namespace.StartBackground(argv, environment);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_daemon.HasExited)
            {
                throw new InvalidOperationException(
                    $"{Kind} `{_daemon.CommandLine}` exited with {_daemon.ExitCode} before it was ready:\n{_daemon.Output}");
            }

            if (File.Exists(UapiSocket)
                && (await Namespace.ExecAsync(["ip", "link", "show", InterfaceName], ct)).Succeeded)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"{Kind} `{_daemon.CommandLine}` did not create {InterfaceName} and {UapiSocket} within {StartTimeout}:\n{_daemon.Output}");
            }

            await Task.Delay(100, ct);
        }
    }

    /// <summary>`wg set IFNAME ARGS...`; a private key is passed on stdin, never in a file or argv.</summary>
    public Task SetAsync(CancellationToken ct, params string[] args) =>
        Namespace.ExecCheckedAsync(["wg", "set", InterfaceName, .. args], ct);

    public Task SetPrivateKeyAsync(WgKeyPair keys, CancellationToken ct) =>
        Namespace.ExecCheckedAsync(["wg", "set", InterfaceName, "private-key", "/dev/stdin"], ct, stdin: keys.PrivateKey + "\n");

    /// <summary>`wg setconf IFNAME CONF`, with the configuration fed through stdin.</summary>
    public Task SetConfAsync(string configuration, CancellationToken ct) =>
        Namespace.ExecCheckedAsync(["wg", "setconf", InterfaceName, "/dev/stdin"], ct, stdin: configuration);

    /// <summary>Adds an overlay address (IPv6 without duplicate address detection, so it is usable at once) and brings the link up.</summary>
    public async Task AddAddressAsync(string cidr, CancellationToken ct)
    {
        if (cidr.Contains(':', StringComparison.Ordinal))
        {
            await Namespace.IpAsync(ct, "-6", "addr", "add", cidr, "dev", InterfaceName, "nodad");
        }
        else
        {
            await Namespace.IpAsync(ct, "addr", "add", cidr, "dev", InterfaceName);
        }

        await Namespace.IpAsync(ct, "link", "set", InterfaceName, "up");
    }

    public Task AddRouteAsync(string cidr, CancellationToken ct) =>
        Namespace.IpAsync(ct, "route", "add", cidr, "dev", InterfaceName);

    public async Task<WgDump> ShowDumpAsync(CancellationToken ct) =>
        WgDump.Parse(await Namespace.ExecCheckedAsync(["wg", "show", InterfaceName, "dump"], ct));

    /// <summary>Pings from this peer's namespace; a summary is returned even when replies were lost.</summary>
    public async Task<PingResult> PingAsync(string address, int count, double intervalSeconds, CancellationToken ct)
    {
        var interval = intervalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromSeconds((count * intervalSeconds) + 15);
        var result = await Namespace.ExecAsync(
            ["ping", "-n", "-q", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", interval, "-W", "2", address], ct, timeout);
        return PingResult.Parse(result.Stdout + result.Stderr);
    }

    /// <summary>The daemon's process id, for sending it signals.</summary>
    public int DaemonPid => _daemon?.Pid ?? throw new InvalidOperationException("daemon not started");

    /// <summary>Waits for the daemon to end by itself; false when it still runs at the deadline.</summary>
    public Task<bool> WaitForDaemonExitAsync(TimeSpan timeout, CancellationToken ct) =>
        _daemon is null ? Task.FromResult(true) : _daemon.WaitForExitAsync(timeout, ct);

    public async Task StopAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }

        // A killed daemon cannot unlink its socket; a stale one would confuse `wg` in later runs.
        try
        {
            File.Delete(UapiSocket);
        }
        catch (IOException)
        {
        }

        GC.SuppressFinalize(this);
    }

    public async Task<string> DescribeAsync(CancellationToken ct)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"== {Kind} {InterfaceName} in {Namespace.Name}");
        if (_daemon is null)
        {
            return text.AppendLine("(daemon not started)").ToString();
        }

        try
        {
            text.AppendLine((await Namespace.ExecAsync(["wg", "show", InterfaceName, "dump"], ct, TimeSpan.FromSeconds(5))).Describe());
        }
        catch (Exception e)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"wg show failed: {e.Message}");
        }

        text.AppendLine("-- daemon output --").AppendLine(DaemonOutput);
        return text.ToString();
    }

    protected abstract (IReadOnlyList<string> Argv, IReadOnlyDictionary<string, string>? Environment) DaemonCommand();
}
