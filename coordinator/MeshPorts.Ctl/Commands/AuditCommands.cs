using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Output;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Commands;

/// <summary><c>audit [--follow] [--since TIME] | audit verify</c>.</summary>
internal static class AuditCommands
{
    public static async Task<int> ListAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        DateTimeOffset? since = ctx.Args.Value("--since") is { } text ? TimeParser.ParseSince("--since", text, ctx.Clock) : null;
        var follow = ctx.Args.Flag("--follow");

        await foreach (var e in ctx.Api().AuditAsync(since, follow, ctx.Cancellation).ConfigureAwait(false))
        {
            if (ctx.Json)
            {
                // JSON Lines: a followed stream has no end at which to close an array.
                await Printer.WriteJsonLineAsync(ctx.Out, e, c => c.AuditEventView).ConfigureAwait(false);
            }
            else
            {
                await ctx.Out.WriteLineAsync(
                    $"{TimeParser.Format(e.Time)}  #{e.Seq}  {e.Kind}  {e.Actor ?? "-"}  {e.Subject ?? "-"}  {e.Outcome ?? "-"}  {e.Details?.GetRawText()}".TrimEnd()).ConfigureAwait(false);
            }

            if (follow)
            {
                await ctx.Out.FlushAsync(ctx.Cancellation).ConfigureAwait(false);
            }
        }

        return ExitCodes.Ok;
    }

    public static async Task<int> VerifyAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var result = await ctx.Api().VerifyAuditAsync(ctx.Cancellation).ConfigureAwait(false);
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, result, c => c.AuditVerifyView).ConfigureAwait(false);
        }
        else if (result.Ok)
        {
            await ctx.Out.WriteLineAsync($"audit log intact: {result.Checked} events, hash chain verified").ConfigureAwait(false);
        }

        if (!result.Ok)
        {
            await ctx.Error.WriteLineAsync(
                $"meshctl: audit log BROKEN at event #{result.FirstBadSeq?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}: {result.Problem ?? "hash chain mismatch"}; restore the log from a backup and investigate who edited it".ReplaceLineEndings(" ")).ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        return ExitCodes.Ok;
    }
}
