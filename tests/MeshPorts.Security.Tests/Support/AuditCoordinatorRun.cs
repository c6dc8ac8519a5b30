using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MeshPorts.Integration.Tests.Harness;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// The published coordinator on a data dir that outlives it, so an attack can stop it, edit what it left on
/// disk, and start it again on the same dir and port. Also runs the published meshctl with that dir's meshctl.conf.
/// </summary>
internal sealed class AuditCoordinatorRun : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan MeshctlTimeout = TimeSpan.FromSeconds(60);
    private BackgroundProcess? _process;

    private AuditCoordinatorRun(string dataDirectory, int port)
    {
        DataDirectory = dataDirectory;
        Port = port;
    }

    public string DataDirectory { get; }

    public int Port { get; }

    public string Url => string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{Port}");

    public string MeshctlConfig => Path.Combine(DataDirectory, "meshctl.conf");

    public string Database => Path.Combine(DataDirectory, "coordinator.db");

    public string AdminToken => File.ReadAllLines(MeshctlConfig).Single(l => l.StartsWith("token = ", StringComparison.Ordinal))["token = ".Length..];

    public string Output => _process?.Output ?? "";

    public static async Task<AuditCoordinatorRun> StartAsync(CancellationToken ct)
    {
        var run = new AuditCoordinatorRun(Directory.CreateTempSubdirectory("mpsec-audit-").FullName, FreeTcpPort());
        await run.RestartAsync(ct);
        return run;
    }

    /// <summary>Starts the coordinator on the same data dir and port (stopping it first if it runs).</summary>
    public async Task RestartAsync(CancellationToken ct)
    {
        await StopAsync();
        var listen = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");
        _process = BackgroundProcess.Start([MeshPrograms.Coordinator(), "--data", DataDirectory, "--listen", listen, "--public-url", Url]);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!_process.Output.Split('\n').Any(l => l.StartsWith("listening on", StringComparison.Ordinal)))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"the coordinator did not start listening within {StartTimeout}:\n{_process.Output}");
            }

            await Task.Delay(100, ct);
        }
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
