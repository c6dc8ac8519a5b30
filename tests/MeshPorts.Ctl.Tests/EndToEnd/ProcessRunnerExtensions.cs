using System.Diagnostics;

namespace MeshPorts.Ctl.Tests.EndToEnd;

/// <summary>For commands that never end on their own (<c>audit --follow</c>): read one line, then kill.</summary>
internal static class ProcessRunnerExtensions
{
    public static async Task<string> RunUntilFirstLineAsync(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, TimeSpan timeout)
    {
        var (file, prefix) = Binaries.Command(program);
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in prefix.Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["HOME"] = "/nonexistent-meshctl-test-home";
        foreach (var (k, v) in env)
        {
            info.Environment[k] = v;
        }

        using var process = Process.Start(info)!;
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            var line = await process.StandardOutput.ReadLineAsync(cts.Token);
            return line ?? throw new InvalidOperationException($"{program} ended without output: {await process.StandardError.ReadToEndAsync()}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
