using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// A long-running process (a VPN daemon, a listener, a ping run) whose output is kept for failure
/// messages and which is always stopped: SIGTERM first so daemons can clean up, SIGKILL after a grace.
/// </summary>
internal sealed class BackgroundProcess : IAsyncDisposable
{
    private const int MaxKeptChars = 64 * 1024;
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _outputLock = new();
    private readonly SemaphoreSlim _stopping = new(1, 1);
    private bool _disposed;

    private BackgroundProcess(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
    }

    public string CommandLine { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Interleaved stdout and stderr, the most recent part when it was long.</summary>
    public string Output
    {
        get
        {
            lock (_outputLock)
            {
                return _output.ToString();
            }
        }
    }

    public static BackgroundProcess Start(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(argv.Count);
        var psi = new ProcessStartInfo(argv[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in argv.Skip(1))
        {
            psi.ArgumentList.Add(arg);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                psi.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var background = new BackgroundProcess(process, string.Join(' ', argv));
        process.OutputDataReceived += (_, e) => background.Append(e.Data);
        process.ErrorDataReceived += (_, e) => background.Append(e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException(
                $"cannot start `{argv[0]}` ({e.Message}): install it (scripts/lib/deps.sh lists the Debian packages the tests need)", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return background;
    }

    /// <summary>Waits for the process to end by itself; false when it is still running at the deadline.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Idempotent: the namespace and the peer that own a process may both stop it.</summary>
    public async Task StopAsync()
    {
        await _stopping.WaitAsync();
        try
        {
            if (!_disposed && !_process.HasExited)
            {
                await TerminateAsync();
            }
        }
        finally
        {
            _stopping.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _stopping.WaitAsync();
        try
        {
            if (!_disposed)
            {
                _disposed = true;
                _process.Dispose();
            }
        }
        finally
        {
            _stopping.Release();
        }
    }

    private async Task TerminateAsync()
    {

        try
        {
            await Command.RunAsync(["kill", "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], CancellationToken.None, TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // SIGKILL below still ends it.
        }

        if (!await WaitForExitAsync(StopGrace, CancellationToken.None))
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited between the check and the kill.
            }

            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            _output.AppendLine(line);
            if (_output.Length > MaxKeptChars)
            {
                _output.Remove(0, _output.Length - MaxKeptChars);
            }
        }
    }
}
