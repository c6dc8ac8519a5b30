using MeshPorts.Coordinator.Cli;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Hosting;

/// <summary>Process entry: parse, start, run until SIGTERM/SIGINT. Exit 2 = usage, 1 = failure.</summary>
internal static class CoordinatorProgram
{
    public static async Task<int> RunAsync(string[] args)
    {
        Options.CoordinatorOptions? options;
        try
        {
            options = CommandLine.Parse(args);
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync("meshports-coordinator: " + ex.Message);
            return 2;
        }

        if (options is null)
        {
            await Console.Out.WriteLineAsync(CommandLine.Usage);
            return 0;
        }

        try
        {
            await using var host = await CoordinatorHost.StartAsync(options, TimeProvider.System, Console.Out, LogLevel.Information, CancellationToken.None);
            await host.App.WaitForShutdownAsync();
            return 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"meshports-coordinator: {ex.Message}; check that --data {options.DataDir} is writable and --listen {options.Listen} is free");
            return 1;
        }
    }
}
