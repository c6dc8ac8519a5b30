using System.ComponentModel;
using System.Diagnostics;

namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// Runs short-lived commands with a hard timeout: a hung tool must fail its test, never hang CI.
/// </summary>
internal static class Command
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task<CommandResult> RunAsync(
        IReadOnlyList<string> argv,
        CancellationToken ct,
        TimeSpan? timeout = null,
        string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(argv.Count);
        var commandLine = string.Join(' ', argv);
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

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"cannot start `{argv[0]}` ({e.Message}): install it (scripts/lib/deps.sh lists the Debian packages the tests need)", e);
        }

        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin.AsMemory(), ct);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The command exited without reading its input; its exit code tells the story.
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            var partial = new CommandResult(commandLine, -1, await stdout, await stderr);
            ct.ThrowIfCancellationRequested();
            throw new TimeoutException($"timed out after {timeout ?? DefaultTimeout}: {partial.Describe()}");
        }

        return new CommandResult(commandLine, process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Like <see cref="RunAsync"/>, but a non-zero exit is an error carrying the command's output.</summary>
    public static async Task<string> RunCheckedAsync(
        IReadOnlyList<string> argv,
        CancellationToken ct,
        TimeSpan? timeout = null,
        string? stdin = null)
    {
        var result = await RunAsync(argv, ct, timeout, stdin);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(result.Describe());
        }

        return result.Stdout;
    }
}
