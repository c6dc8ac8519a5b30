using System.Diagnostics;
using System.Text.Json;

namespace MeshPorts.Native.Linux.Tests;

/// <summary>Runs the real tools (ip, cc) the tests check the kernel's view with.</summary>
internal static class Shell
{
    public static string Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{file}' is needed by this test but could not be started ({e.Message}); install it (iproute2 / a C compiler).", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {stderr}");
            }

            return stdout.Result;
        }
    }

    public static JsonElement IpJson(params string[] arguments)
    {
        var text = Run("ip", ["-j", .. arguments]);
        using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(text) ? "[]" : text);
        return document.RootElement.Clone();
    }
}
