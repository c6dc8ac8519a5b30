using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Logging;
using MeshPorts.Contracts.Output;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace MeshPorts.Node.Cli;

/// <summary>Entry point of <c>meshports-node</c>: dispatches to the subcommands.</summary>
internal static class NodeCli
{
    public const string Usage = """
        Usage: meshports-node COMMAND [OPTIONS]

        Commands:
          wg IFNAME [-f|--foreground] [--no-offload]
                                        bare userspace WireGuard, a drop-in for `wireguard-go IFNAME`:
                                        creates TUN IFNAME and serves the UAPI on
                                        /var/run/wireguard/IFNAME.sock for `wg` and `wg-quick`.
                                        --no-offload: no TSO/GRO on the TUN, no UDP GSO/GRO
          up --join JOIN [--name NAME] [--expose PORT/PROTO[=SERVICE]]... [--ifname mp0]
             [--state DIR] [--listen-port 51820] [--endpoint HOST:PORT]...
                                        join the mesh and stay in the foreground; `up --help` for more
          status [--ifname mp0] [--json]
                                        what a running `up` knows: addresses, key, coordinator, peers
          down [--ifname mp0]           bring a running `up` down cleanly
          --version                     print the version

        Environment:
          LOG_LEVEL=verbose|debug|info|error|silent   log detail (default: info)
          MESHPORTS_OFFLOAD=off                       as --no-offload, for `wg` started by wg-quick
        Exit codes: 0 success, 1 operation failed, 2 usage error.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                await Console.Out.WriteLineAsync(Usage).ConfigureAwait(false);
                return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
            }

            if (args[0] == "wg")
            {
                if (!OperatingSystem.IsLinux())
                {
                    throw new UsageException("'wg' runs on Linux; on Windows use the WireGuardNT service");
                }

                if (WgCommand.IsBackgroundChild)
                {
                    WgCommand.DetachFromCaller();
                }

                return await WgCommand.RunAsync(args[1..], CreateLoggerFactory()).ConfigureAwait(false);
            }

            if (args[0] is "up" or "status" or "down" && !OperatingSystem.IsLinux())
            {
                throw new UsageException($"'{args[0]}' runs on Linux in this build");
            }

            return args[0] switch
            {
                "--version" or "version" => PrintVersion(),
                "up" when OperatingSystem.IsLinux() => await UpCommand.RunAsync(args[1..], CreateLoggerFactory()).ConfigureAwait(false),
                "status" when OperatingSystem.IsLinux() => await LocalCommands.StatusAsync(args[1..]).ConfigureAwait(false),
                "down" when OperatingSystem.IsLinux() => await LocalCommands.DownAsync(args[1..]).ConfigureAwait(false),
                _ => throw new UsageException($"unknown command '{args[0]}'; run 'meshports-node --help' for the list"),
            };
        }
        catch (HelpRequestedException help)
        {
            await Console.Out.WriteLineAsync(help.Message).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync($"meshports-node: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
    }

    private static int PrintVersion()
    {
        var version = typeof(NodeCli).Assembly.GetName().Version;
        Console.WriteLine($"meshports-node {version}");
        return ExitCodes.Ok;
    }

    internal static LogLevel ParseLogLevel(string? value) =>
        LineLogging.TryParseLevel(value, out var level)
            ? level
            : throw new UsageException($"LOG_LEVEL '{value}' is not one of {LineLogging.LevelWords}");

    private static ILoggerFactory CreateLoggerFactory()
    {
        var level = ParseLogLevel(Environment.GetEnvironmentVariable("LOG_LEVEL"));
        return LoggerFactory.Create(builder => builder
            .SetMinimumLevel(level)
            .AddLineConsole(level, toStandardError: true,
                color: LogColor(!Console.IsErrorRedirected, Environment.GetEnvironmentVariable) == LoggerColorBehavior.Enabled,
                Environment.GetEnvironmentVariable));
    }

    /// <summary>
    /// The logs go to stderr, so stderr decides: the console logger's own default looks at stdout and
    /// would colour <c>up 2&gt;node.log</c>.
    /// </summary>
    internal static LoggerColorBehavior LogColor(bool stderrIsTerminal, Func<string, string?> getEnvironment) =>
        TerminalColor.Allowed(stderrIsTerminal, getEnvironment) ? LoggerColorBehavior.Enabled : LoggerColorBehavior.Disabled;
}
