using System.Globalization;
using System.Text;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>
/// `meshports-coordinator` in the LAN namespace. It can be killed with SIGKILL and started again on
/// the same --data, which is how the fail-static and fail-closed promises are tested. A replica is one
/// more of these on its own address, with a copy of the first one's data dir and the first one's store.
/// </summary>
internal sealed class CoordinatorProcess
{
    public const int Port = 7443;

    // First start creates a key, a certificate and the SQLite file; a loaded 2-core CI box is slow at that.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly NetNs _lan;
    private readonly StringBuilder _earlierRuns = new();
    private BackgroundProcess? _process;

    /// <param name="publicUrls">Every replica's URL, for --public-url (null: this one's alone).</param>
    /// <param name="store">--store (null: SQLite in its data dir).</param>
    public CoordinatorProcess(NetNs lan, string address, string dataDirectory, IReadOnlyList<string>? publicUrls = null, string? store = null)
    {
        _lan = lan;
        Address = address;
        DataDirectory = dataDirectory;
        PublicUrls = publicUrls ?? [Url];
        Store = store;
    }

    public IReadOnlyList<string> PublicUrls { get; }

    public string? Store { get; }

    public string Address { get; }

    public string DataDirectory { get; }

    public string Url => string.Create(CultureInfo.InvariantCulture, $"https://{Address}:{Port}");

    public string MeshctlConfig => Path.Combine(DataDirectory, "meshctl.conf");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Everything every run of it printed, for failure messages.</summary>
    public string Output => _earlierRuns + (_process?.Output ?? "(not started)");

    /// <summary>Starts it and waits for its "listening on" line.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("the coordinator already runs");
        }

        if (_process is not null)
        {
            _earlierRuns.AppendLine(CultureInfo.InvariantCulture, $"--- earlier run (exit {_process.ExitCode}) ---").Append(_process.Output);
            await _process.DisposeAsync();
        }

        var endpoint = string.Create(CultureInfo.InvariantCulture, $"{Address}:{Port}");
        List<string> argv = [MeshPrograms.Coordinator(), "--data", DataDirectory, "--listen", endpoint, "--public-url", string.Join(',', PublicUrls)];
        if (Store is not null)
        {
            argv.AddRange(["--store", Store]);
        }

        _process = _lan.StartBackground(argv);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!_process.Output.Split('\n').Any(line => line.StartsWith("listening on", StringComparison.Ordinal)))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"`{_process.CommandLine}` exited with {_process.ExitCode} before listening:\n{Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the coordinator did not print \"listening on\" within {StartTimeout}:\n{Output}");
            }

            await Task.Delay(100, ct);
        }
    }

    /// <summary>SIGKILL: no goodbye to the nodes, no flush, exactly like a crashed host.</summary>
    public async Task KillAsync(CancellationToken ct)
    {
        var process = _process ?? throw new InvalidOperationException("the coordinator was never started");
        await Command.RunCheckedAsync(["kill", "-KILL", process.Pid.ToString(CultureInfo.InvariantCulture)], ct);
        if (!await process.WaitForExitAsync(TimeSpan.FromSeconds(10), ct))
        {
            throw new TimeoutException($"the coordinator survived SIGKILL for 10 s:\n{Output}");
        }
    }
}
