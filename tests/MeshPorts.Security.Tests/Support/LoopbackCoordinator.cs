using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MeshPorts.Integration.Tests.Harness;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// The published `meshports-coordinator` on 127.0.0.1 with a fresh data dir, as an attacker who can
/// reach its port meets it. Reads the admin token and pin from the meshctl.conf it writes, so tests can
/// also act as the admin to check that an attack changed nothing. The data dir outlives the process, so an
/// attack can stop it, edit what it left on disk, and start it again on the same dir and port; the
/// published meshctl runs with that dir's meshctl.conf.
/// </summary>
internal sealed class LoopbackCoordinator : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan MeshctlTimeout = TimeSpan.FromSeconds(60);
    private readonly string[] _extraArguments;
    private BackgroundProcess? _process;
    private Dictionary<string, string> _conf = new(StringComparer.Ordinal);

    private LoopbackCoordinator(string dataDirectory, int port, string[] extraArguments)
    {
        DataDirectory = dataDirectory;
        Port = port;
        _extraArguments = extraArguments;
    }

    public string DataDirectory { get; }

    public int Port { get; }

    public string Url => string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{Port}");

    public string AdminToken => _conf["token"];

    public string Pin => _conf["pin"];

    public string MeshctlConfig => Path.Combine(DataDirectory, "meshctl.conf");

    public string Database => Path.Combine(DataDirectory, "coordinator.db");

    public string Output => _process?.Output ?? "";

    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>Starts one with <paramref name="extraArguments"/> after the data, listen and URL options.</summary>
    public static async Task<LoopbackCoordinator> StartAsync(CancellationToken ct, params string[] extraArguments)
    {
        var coordinator = new LoopbackCoordinator(Directory.CreateTempSubdirectory("mpsec-coord-").FullName, FreeTcpPort(), extraArguments);
        try
        {
            await coordinator.RestartAsync(ct);
            return coordinator;
        }
        catch
        {
            await coordinator.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the coordinator on the same data dir and port (stopping it first if it runs).</summary>
    public async Task RestartAsync(CancellationToken ct)
    {
        await StopAsync();
        var listen = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");
        _process = BackgroundProcess.Start([MeshPrograms.Coordinator(), "--data", DataDirectory, "--listen", listen, "--public-url", Url, .. _extraArguments]);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!_process.Output.Split('\n').Any(l => l.StartsWith("listening on", StringComparison.Ordinal)))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"the coordinator did not start listening within {StartTimeout}:\n{_process.Output}");
            }

            await Task.Delay(100, ct);
        }

        _conf = File.ReadAllLines(MeshctlConfig)
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.TrimStart().StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
    }

    /// <summary>SIGTERM, as an operator's restart does; the database is closed cleanly.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    /// <summary>The published meshctl with this coordinator's meshctl.conf.</summary>
    public Task<CommandResult> MeshctlAsync(CancellationToken ct, params string[] args) =>
        Command.RunAsync([MeshPrograms.Meshctl(), .. args], ct, MeshctlTimeout,
            environment: new Dictionary<string, string> { ["MESHCTL_CONFIG"] = MeshctlConfig });

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a process that outlived its SIGKILL; the temp dir is cleaned by the OS later.
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
