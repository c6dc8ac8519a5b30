using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Logging;
using MeshPorts.RelayHost.Cli;
using Microsoft.Extensions.Hosting;

namespace MeshPorts.RelayHost.Hosting;

/// <summary>Process entry: parse, join, serve until SIGTERM/SIGINT. Exit 2 = usage, 1 = failure.</summary>
internal static class RelayProgram
{
    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<string, string?>? getEnvironment = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args is ["--version"] or ["version"])
        {
            await output.WriteLineAsync($"meshports-relay {typeof(RelayProgram).Assembly.GetName().Version}");
            return 0;
        }

        RelayOptions? options;
        try
        {
            options = RelayCommandLine.Parse(args);
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync("meshports-relay: " + ex.Message);
            return 2;
        }

        if (options is null)
        {
            await output.WriteLineAsync(RelayCommandLine.Usage);
            return 0;
        }

        var levelText = (getEnvironment ?? Environment.GetEnvironmentVariable)("LOG_LEVEL");
        if (!LineLogging.TryParseLevel(levelText, out var level))
        {
            await error.WriteLineAsync($"meshports-relay: LOG_LEVEL '{levelText}' is not one of {LineLogging.LevelWords}");
            return 2;
        }

        try
        {
            await using var host = await RelayServerHost.StartAsync(options, TimeProvider.System, output, level, CancellationToken.None);
            await host.App.WaitForShutdownAsync();
            return 0;
        }
        catch (FormatException ex)
        {
            await error.WriteLineAsync($"meshports-relay: --join: {ex.Message}");
            return 2;
        }
        catch (InvalidOperationException ex)
        {
            await error.WriteLineAsync("meshports-relay: " + ex.Message);
            return 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"meshports-relay: {ex.Message}; check that --data {options.DataDir} is writable and --listen {options.Listen} is free");
            return 1;
        }
    }
}
