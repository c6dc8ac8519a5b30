using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Transport;
using MeshPorts.Node.Tests.StateDirectory;

namespace MeshPorts.Node.Tests.Coordinator;

/// <summary>
/// The real meshports-coordinator on 127.0.0.1 with a temp --data dir (one per test class), plus an admin client
/// built from the meshctl.conf it writes. The binary is $MESHPORTS_COORDINATOR or the dll built beside this test.
/// </summary>
public sealed class CoordinatorProcess : IAsyncLifetime, IDisposable
{
    private readonly StringBuilder _log = new();
    private readonly TempStateDir _dir = new();
    private Process? _process;
    private GrpcChannel? _adminChannel;

    public Uri Url { get; private set; } = null!;

    public string Pin { get; private set; } = "";

    public Admin.AdminClient Admin { get; private set; } = null!;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        var port = FreePort();
        var dataDir = Path.Combine(_dir.Root, "data");
        var program = ResolveCoordinator();
        var info = new ProcessStartInfo(program.EndsWith(".dll", StringComparison.Ordinal) ? "dotnet" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (program.EndsWith(".dll", StringComparison.Ordinal))
        {
            info.ArgumentList.Add(program);
        }

        foreach (var a in new[] { "--data", dataDir, "--listen", $"127.0.0.1:{port}", "--public-url", $"https://127.0.0.1:{port}" })
        {
            info.ArgumentList.Add(a);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var conf = Path.Combine(dataDir, "meshctl.conf");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!(File.Exists(conf) && await AcceptsAsync(port)))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"meshports-coordinator exited with {_process.ExitCode} on start:\n{Log}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"meshports-coordinator did not listen on 127.0.0.1:{port} within 90 s:\n{Log}");
            }

            await Task.Delay(200);
        }

        var settings = File.ReadAllLines(conf)
            .Select(l => l.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(p => p.Length == 2 && !p[0].StartsWith('#'))
            .ToDictionary(p => p[0], p => p[1]);
        Url = new Uri(settings["url"]);
        Pin = settings["pin"];
        var token = settings["token"];
        Assert.True(CertificatePin.TryParse(Pin, out var pin), $"meshctl.conf pin '{Pin}' is not a fingerprint");
        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", "Bearer " + token);
            return Task.CompletedTask;
        });
        _adminChannel = GrpcChannel.ForAddress(Url, new GrpcChannelOptions
        {
            HttpHandler = PinnedHttpHandler.Create(pin),
            DisposeHttpClient = true,
            Credentials = ChannelCredentials.Create(ChannelCredentials.SecureSsl, credentials),
        });
        Admin = new Admin.AdminClient(_adminChannel);
    }

    /// <summary>A fresh join string from the admin API, as 'meshctl token create' prints it.</summary>
    public async Task<string> CreateJoinStringAsync(string name, uint uses = 1)
    {
        var response = await Admin.CreateTokenAsync(new CreateTokenRequest { Name = name, Uses = uses, User = "alice" });
        return response.JoinString;
    }

    public async Task<IReadOnlyList<Contracts.Admin.Node>> NodesNamedAsync(string prefix)
    {
        var nodes = await Admin.ListNodesAsync(new ListNodesRequest());
        return nodes.Nodes.Where(n => n.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        // xunit calls both DisposeAsync and Dispose on a class fixture: the second call must find nothing left.
        _adminChannel?.Dispose();
        _adminChannel = null;
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process?.Dispose();
        _process = null;
        _dir.Dispose();
    }

    private static string ResolveCoordinator()
    {
        var fromEnv = Environment.GetEnvironmentVariable("MESHPORTS_COORDINATOR");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return File.Exists(fromEnv) ? fromEnv : throw new InvalidOperationException($"$MESHPORTS_COORDINATOR={fromEnv} does not exist; build it or unset it");
        }

        // bin/<Configuration>/net10.0/ of this test mirrors the coordinator's own output folder.
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var configuration = tfm.Parent!.Name;
        for (var dir = tfm; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MeshPorts.sln")))
            {
                var dll = Path.Combine(dir.FullName, "coordinator/MeshPorts.Coordinator/bin", configuration, tfm.Name, "meshports-coordinator.dll");
                return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing; run 'dotnet build coordinator/MeshPorts.Coordinator' (or set $MESHPORTS_COORDINATOR)");
            }
        }

        throw new InvalidOperationException($"no MeshPorts.sln above {AppContext.BaseDirectory}; set $MESHPORTS_COORDINATOR");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
