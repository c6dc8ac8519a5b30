using MeshPorts.Contracts.Cli;
using MeshPorts.Ctl.Cli;

namespace MeshPorts.Ctl.Commands;

/// <summary><c>completion bash|zsh</c>: prints the shell's completion script; needs no config or coordinator.</summary>
internal static class CompletionCommands
{
    /// <summary>Handled before the table (CtlApp), so listed here for completion only.</summary>
    public static readonly IReadOnlyList<string> TopFlags = ["--help", "--version"];

    public static async Task<int> PrintAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var script = CompletionScript.For(ctx.Args.Positionals[0], CommandTable.All.Select(e => e.Spec).ToList(), TopFlags);
        await ctx.Out.WriteAsync(script).ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
