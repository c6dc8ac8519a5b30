using System.Diagnostics;

namespace MeshPorts.Ctl.Tests.EndToEnd;

/// <summary>Runs a program to completion with a time limit, so a hung meshctl fails the test instead of hanging it.</summary>
internal static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var (file, prefix) = Binaries.Command(program);
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in prefix.Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        // The developer's own meshctl.conf must never be picked up by a test.
        info.Environment["HOME"] = "/nonexistent-meshctl-test-home";
        info.Environment.Remove("MESHCTL_CONFIG");
        info.Environment.Remove("XDG_CONFIG_HOME");
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in time; stderr: {await stderr}");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
