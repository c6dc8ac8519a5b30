using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MeshPorts.Integration.Tests.Harness;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// The published `meshports-coordinator` on 127.0.0.1 with a fresh data dir, as an attacker who can
/// reach its port meets it. Reads the admin token and pin from the meshctl.conf it writes, so tests can
/// also act as the admin to check that an attack changed nothing.
/// </summary>
internal sealed class LoopbackCoordinator : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly BackgroundProcess _process;

    private LoopbackCoordinator(BackgroundProcess process, string dataDirectory, int port, IReadOnlyDictionary<string, string> conf)
    {
        _process = process;
        DataDirectory = dataDirectory;
        Port = port;
        AdminToken = conf["token"];
        Pin = conf["pin"];
    }

    public string DataDirectory { get; }

    public int Port { get; }

    public string Url => string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{Port}");

    public string AdminToken { get; }

    public string Pin { get; }

    public string MeshctlConfig => Path.Combine(DataDirectory, "meshctl.conf");

    public string Output => _process.Output;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts one with <paramref name="extraArguments"/> after the data, listen and URL options.</summary>
    public static async Task<LoopbackCoordinator> StartAsync(CancellationToken ct, params string[] extraArguments)
    {
        var data = Directory.CreateTempSubdirectory("mpsec-coord-").FullName;
        var port = FreeTcpPort();
        var url = string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{port}");
        var process = BackgroundProcess.Start(
            [MeshPrograms.Coordinator(), "--data", data, "--listen", string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"), "--public-url", url, .. extraArguments]);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!process.Output.Split('\n').Any(l => l.StartsWith("listening on", StringComparison.Ordinal)))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var output = process.Output;
                await process.DisposeAsync();
                Directory.Delete(data, recursive: true);
                throw new InvalidOperationException($"the coordinator did not start listening within {StartTimeout}:\n{output}");
            }

            await Task.Delay(100, ct);
        }

        var conf = File.ReadAllLines(Path.Combine(data, "meshctl.conf"))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.TrimStart().StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
        return new LoopbackCoordinator(process, data, port, conf);
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
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
