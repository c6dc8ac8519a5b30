using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MeshPorts.Ctl.Tests.EndToEnd;

/// <summary>
/// A real meshports-coordinator process on 127.0.0.1 with a temp --data dir, shared by the end-to-end tests of
/// one class; killed and its dir deleted afterwards, whatever happened.
/// </summary>
public sealed class CoordinatorFixture : IAsyncDisposable, IDisposable
{
    private readonly StringBuilder _log = new();
    private readonly TempDir _dir = new();
    private Process? _process;
    private Exception? _startFailure;

    public string DataDir => Path.Combine(_dir.Path, "data");

    public string ConfigPath => Path.Combine(DataDir, "meshctl.conf");

    public int Port { get; private set; }

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

    /// <summary>Starts the coordinator once; later calls return at once (or repeat the first failure).</summary>
    public async Task StartAsync()
    {
        if (_startFailure is not null)
        {
            // Every test of the class reports the same start failure, not a confusing "no such config" later.
            throw new InvalidOperationException("the coordinator failed to start for an earlier test: " + _startFailure.Message, _startFailure);
        }

        if (_process is not null)
        {
            return;
        }

        try
        {
            await StartCoreAsync();
        }
        catch (Exception ex)
        {
            _startFailure = ex;
            throw;
        }
    }

    private async Task StartCoreAsync()
    {
        Port = FreePort();
        var (file, prefix) = Binaries.Command(Binaries.Coordinator);
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in prefix.Concat(["--data", DataDir, "--listen", $"127.0.0.1:{Port}", "--public-url", $"https://127.0.0.1:{Port}"]))
        {
            info.ArgumentList.Add(a);
        }

        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"meshports-coordinator exited with {_process.ExitCode} on start:\n{Log}");
            }

            if (File.Exists(ConfigPath) && await AcceptsAsync(Port))
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"meshports-coordinator did not listen on 127.0.0.1:{Port} with {ConfigPath} within 90 s:\n{Log}");
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process?.Dispose();
        _dir.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
