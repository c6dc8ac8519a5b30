using Grpc.Core;
using MeshPorts.Contracts.Cli;
using MeshPorts.Ctl.Api;
using MeshPorts.Ctl.Commands;

namespace MeshPorts.Ctl.Cli;

/// <summary>Entry point of meshctl: finds the command, parses its arguments, runs it and maps failures to exit codes.</summary>
internal static class CtlApp
{
    public static async Task<int> RunAsync(
        IReadOnlyList<string> args,
        TextWriter output,
        TextWriter error,
        Func<string, string?> getEnvironment,
        TimeProvider clock,
        CancellationToken cancellation,
        Func<CommandContext, IAdminApi>? apiFactory = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(getEnvironment);

        var timer = PhaseTimer.FromEnvironment(getEnvironment);
        try
        {
            return await RunCommandAsync(args, output, error, getEnvironment, clock, apiFactory, timer, cancellation).ConfigureAwait(false);
        }
        finally
        {
            if (timer is not null)
            {
                await error.WriteLineAsync(timer.Report()).ConfigureAwait(false);
            }
        }
    }

    private static async Task<int> RunCommandAsync(
        IReadOnlyList<string> args,
        TextWriter output,
        TextWriter error,
        Func<string, string?> getEnvironment,
        TimeProvider clock,
        Func<CommandContext, IAdminApi>? apiFactory,
        PhaseTimer? timer,
        CancellationToken cancellation)
    {
        try
        {
            if (args.Count == 0)
            {
                await error.WriteLineAsync(CommandTable.Usage).ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            if (args[0] is "-h" or "--help" or "help")
            {
                await output.WriteLineAsync(CommandTable.Usage).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            if (args[0] is "--version" or "version")
            {
                await output.WriteLineAsync($"meshctl {typeof(CtlApp).Assembly.GetName().Version}").ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            if (args.Count == 2 && args[1] is "--help" or "-h" && CommandTable.GroupHelp(args[0]) is { } groupHelp)
            {
                await output.WriteLineAsync(groupHelp).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            var (entry, consumed) = CommandTable.Find(args);
            var parsed = ArgParser.Parse(args.Skip(consumed).ToArray(), entry.Spec);
            if (parsed.Flag("--help"))
            {
                await output.WriteLineAsync(entry.Spec.HelpText()).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            var context = new CommandContext(entry.Spec, parsed, output, error, getEnvironment, clock, apiFactory ?? (c => new GrpcAdminApi(c.Channel())), cancellation, timer);
            await using (context.ConfigureAwait(false))
            {
                return await entry.Run(context).ConfigureAwait(false);
            }
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync("meshctl: " + OneLine(ex.Message)).ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (CtlException ex)
        {
            await error.WriteLineAsync("meshctl: " + OneLine(ex.Message)).ConfigureAwait(false);
            return ExitCodes.Failed;
        }
        catch (RpcException ex)
        {
            await error.WriteLineAsync("meshctl: " + OneLine(RpcErrors.Describe(ex))).ConfigureAwait(false);
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Ctrl-C on `audit --follow` is the normal way to stop it.
            return ExitCodes.Ok;
        }
    }

    private static string OneLine(string message) =>
        message.ReplaceLineEndings(" ").Trim();
}
