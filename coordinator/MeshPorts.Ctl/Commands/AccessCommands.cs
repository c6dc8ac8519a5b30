using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Output;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Commands;

/// <summary><c>access check --from SUBJECT --to TARGET:PORT/PROTO [--at TIME]</c>.</summary>
internal static class AccessCommands
{
    public static async Task<int> CheckAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var from = OptionText.Subject("--from", ctx.Args.Required("--from", "user:alice"));
        var to = OptionText.PortTarget("--to", ctx.Args.Required("--to", "db1:5432/tcp"));
        DateTimeOffset? at = ctx.Args.Value("--at") is { } atText ? TimeParser.ParseAt("--at", atText, ctx.Clock) : null;

        var answer = await ctx.Api().CheckAccessAsync(from, to, at, ctx.Cancellation).ConfigureAwait(false);
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, answer, c => c.AccessView).ConfigureAwait(false);
        }
        else if (answer.Allowed)
        {
            await ctx.Out.WriteLineAsync(
                $"allowed: {answer.From} -> {answer.To} by {answer.AllowedBy} {(answer.Until is null ? "(standing rule)" : "until " + Printer.Time(answer.Until))}").ConfigureAwait(false);
        }
        else
        {
            // The coordinator's explanation already names the flow; say it once.
            await ctx.Out.WriteLineAsync(string.IsNullOrEmpty(answer.Explanation)
                ? $"denied: no rule or grant allows {answer.From} -> {answer.To}"
                : "denied: " + answer.Explanation).ConfigureAwait(false);
        }

        // A denial is a correct answer, not a failure: scripts read "allowed" from --json.
        return ExitCodes.Ok;
    }
}
