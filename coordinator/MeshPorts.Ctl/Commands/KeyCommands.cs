using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Output;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Commands;

/// <summary><c>keys rotate (--node NAME | --all)</c>.</summary>
internal static class KeyCommands
{
    public static async Task<int> RotateAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var node = ctx.Args.Value("--node");
        var all = ctx.Args.Flag("--all");
        if (node is null == !all)
        {
            throw new UsageException(all
                ? "give either --node NAME or --all, not both"
                : "say which keys: 'meshctl keys rotate --node NAME' or 'meshctl keys rotate --all'");
        }

        if (node is not null)
        {
            OptionText.NodeName("--node", node);
        }

        var result = await ctx.Api().RotateKeysAsync(node, ctx.Cancellation).ConfigureAwait(false);
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, result, c => c.RotateView).ConfigureAwait(false);
        }
        else
        {
            await ctx.Out.WriteLineAsync(
                $"told {result.Nodes.Count} node(s) to rotate now: {Printer.List(result.Nodes)}").ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }
}
