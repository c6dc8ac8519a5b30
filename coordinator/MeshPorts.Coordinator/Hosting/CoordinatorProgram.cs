using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Logging;
using MeshPorts.Coordinator.Cli;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Hosting;

/// <summary>Process entry: parse, start, run until SIGTERM/SIGINT. Exit 2 = usage, 1 = failure.</summary>
internal static class CoordinatorProgram
{
    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<string, string?>? getEnvironment = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args is ["--version"] or ["version"])
        {
            await output.WriteLineAsync($"meshports-coordinator {typeof(CoordinatorProgram).Assembly.GetName().Version}");
            return 0;
        }

        if (args is ["migrate", .. var migrateArgs])
        {
            return await MigrateCommand.RunAsync(migrateArgs, output, error);
        }

        Options.CoordinatorOptions? options;
        try
        {
            options = CommandLine.Parse(args);
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync("meshports-coordinator: " + ex.Message);
            return 2;
        }

        if (options is null)
        {
            await output.WriteLineAsync(CommandLine.Usage);
            return 0;
        }

        var levelText = (getEnvironment ?? Environment.GetEnvironmentVariable)("LOG_LEVEL");
        if (!LineLogging.TryParseLevel(levelText, out var level))
        {
            await error.WriteLineAsync($"meshports-coordinator: LOG_LEVEL '{levelText}' is not one of {LineLogging.LevelWords}");
            return 2;
        }

        try
        {
            await using var host = await CoordinatorHost.StartAsync(options, TimeProvider.System, output, level, CancellationToken.None);
            await host.App.WaitForShutdownAsync();
            return 0;
        }
        catch (UsageException ex)
        {
            // Found only at start (the --audit-otlp-headers file): a usage error all the same, so no restart.
            await error.WriteLineAsync("meshports-coordinator: " + ex.Message);
            return 2;
        }
        catch (Storage.StoreOpenException ex)
        {
            await error.WriteLineAsync($"meshports-coordinator: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"meshports-coordinator: {ex.Message}; check that --data {options.DataDir} is writable and --listen {options.Listen} is free");
            return 1;
        }
    }
}
