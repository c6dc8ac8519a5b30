using System.Globalization;
using System.Text;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>
/// `meshports-node up` in a host namespace, with an interface name unique machine-wide (the control
/// and UAPI sockets live in directories every namespace shares) and its own state dir, so it can be
/// stopped or killed and started again as the same node.
/// </summary>
internal sealed class MeshNode : IAsyncDisposable
{
    public const int ListenPort = 51820;

    // Enrollment plus the first Watch on a loaded 2-core box; the product promises no number here.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(90);

    private readonly string _join;
    private readonly IReadOnlyList<string> _expose;
    private readonly IReadOnlyList<string> _upArgs;
    private readonly StringBuilder _earlierRuns = new();
    private BackgroundProcess? _process;

    /// <param name="upArgs">More `up` options, passed as given (e.g. --metrics-listen 127.0.0.1:9586).</param>
    public MeshNode(MeshHost host, string name, string join, IReadOnlyList<string> expose, string stateDirectory, IReadOnlyList<string>? upArgs = null)
    {
        _upArgs = upArgs ?? [];
        Host = host;
        Name = name;
        _join = join;
        _expose = expose;
        StateDirectory = stateDirectory;
        InterfaceName = UniqueNames.Interface();
    }

    public MeshHost Host { get; }

    public string Name { get; }

    public string InterfaceName { get; }

    public string StateDirectory { get; }

    public string ControlSocket => $"/var/run/meshports/{InterfaceName}.sock";

    public string UapiSocket => $"/var/run/wireguard/{InterfaceName}.sock";

    public int Pid => _process?.Pid ?? throw new InvalidOperationException($"{Name} was never started");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What every run of the daemon printed, for failure messages.</summary>
    public string Output => _earlierRuns + (_process?.Output ?? "(not started)");

    /// <summary>Starts `up` (the join string only matters on the first start) without waiting.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} already runs");
        }

        if (_process is not null)
        {
            _earlierRuns.AppendLine(CultureInfo.InvariantCulture, $"--- earlier run (exit {_process.ExitCode}) ---").Append(_process.Output);
            await _process.DisposeAsync();
        }

        List<string> argv =
        [
            MeshPrograms.Node(), "up", "--join", _join, "--ifname", InterfaceName, "--state", StateDirectory,
        ];
        if (Host.Underlay.Length > 0)
        {
            // No underlay address: no --endpoint, so discovery (STUN, the host's addresses) must find this node.
            argv.AddRange(["--endpoint", string.Create(CultureInfo.InvariantCulture, $"{Host.Underlay}:{ListenPort}")]);
        }

        foreach (var expose in _expose)
        {
            argv.AddRange(["--expose", expose]);
        }

        argv.AddRange(_upArgs);

        _process = Host.Namespace.StartBackground(
            argv,
            new Dictionary<string, string> { ["LOG_LEVEL"] = Environment.GetEnvironmentVariable("MESHPORTS_IT_LOG_LEVEL") ?? "debug" });
    }

    /// <summary>Polls `status --json` until the node follows the coordinator and has applied a netmap with serial at least <paramref name="minSerial"/>.</summary>
    public async Task<NodeStatus> WaitConnectedAsync(CancellationToken ct, long minSerial = 1, TimeSpan? timeout = null)
    {
        var limit = timeout ?? ConnectTimeout;
        var deadline = DateTime.UtcNow + limit;
        var last = "(no status yet)";
        while (true)
        {
            if (_process is null || _process.HasExited)
            {
                throw new InvalidOperationException($"{Name}: `up` is not running (exit {_process?.ExitCode}):\n{Output}");
            }

            var result = await TryStatusAsync(ct);
            if (result.Succeeded)
            {
                var status = ParseStatus(result.Stdout);
                if (status.Coordinator.Connected && status.Coordinator.Serial >= minSerial)
                {
                    return status;
                }

                last = result.Stdout;
            }
            else
            {
                last = result.Describe();
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"{Name}: status did not show coordinator.connected with serial >= {minSerial} within {limit}; last:\n{last}\n--- {Name} log ---\n{Output}");
            }

            await Task.Delay(250, ct);
        }
    }

    public Task<CommandResult> TryStatusAsync(CancellationToken ct) =>
        Host.Namespace.ExecAsync([MeshPrograms.Node(), "status", "--ifname", InterfaceName, "--json"], ct, TimeSpan.FromSeconds(30));

    public async Task<NodeStatus> StatusAsync(CancellationToken ct)
    {
        var result = await TryStatusAsync(ct);
        return result.Succeeded
            ? ParseStatus(result.Stdout)
            : throw new InvalidOperationException($"{Name}: {result.Describe()}\n--- {Name} log ---\n{Output}");
    }

    /// <summary>`meshports-node down --ifname X`, the local CLI's way of stopping the daemon.</summary>
    public Task<CommandResult> DownAsync(CancellationToken ct) =>
        Host.Namespace.ExecAsync([MeshPrograms.Node(), "down", "--ifname", InterfaceName], ct, TimeSpan.FromSeconds(30));

    public Task SignalAsync(string signal, CancellationToken ct) =>
        Command.RunCheckedAsync(["kill", "-" + signal, Pid.ToString(CultureInfo.InvariantCulture)], ct);

    /// <summary>False when the daemon still runs at the deadline.</summary>
    public Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken ct) =>
        _process is null ? Task.FromResult(true) : _process.WaitForExitAsync(timeout, ct);

    /// <summary>SIGKILL, as a crash or the OOM killer would: nothing is cleaned up by the daemon.</summary>
    public async Task KillAsync(CancellationToken ct)
    {
        await SignalAsync("KILL", ct);
        if (!await WaitForExitAsync(TimeSpan.FromSeconds(10), ct))
        {
            throw new TimeoutException($"{Name} survived SIGKILL for 10 s");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        // A killed daemon cannot unlink its sockets; stale ones would confuse later runs on the machine.
        foreach (var socket in new[] { ControlSocket, UapiSocket })
        {
            try
            {
                File.Delete(socket);
            }
            catch (IOException)
            {
            }
        }
    }

    public NodeStatus ParseStatus(string json) => MeshJson.Parse<NodeStatus>(json, $"{Name}: status --json") with { Json = json };
}
