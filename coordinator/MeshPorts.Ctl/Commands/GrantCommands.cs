using MeshPorts.Contracts.Cli;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Output;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Commands;

/// <summary><c>grant add | list | revoke</c>.</summary>
internal static class GrantCommands
{
    public static async Task<int> AddAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var from = OptionText.Subject("--from", ctx.Args.Required("--from", "user:alice"));
        var to = OptionText.PortTarget("--to", ctx.Args.Required("--to", "db1:5432/tcp"));

        // PRODUCT.md: every grant has an end, so there is no default for --for.
        var duration = OptionText.Duration("--for", ctx.Args.Required("--for", "1h"));
        var reason = ctx.Args.Value("--reason");
        if (reason is { Length: > 1024 })
        {
            throw new UsageException("--reason is longer than 1024 characters; shorten it");
        }

        var grant = await ctx.Api().AddGrantAsync(from, to, duration, reason, ctx.Cancellation).ConfigureAwait(false);
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, grant, c => c.GrantView).ConfigureAwait(false);
        }
        else
        {
            await ctx.Out.WriteLineAsync($"grant {grant.Id}: {grant.From} -> {grant.To} until {Printer.Time(grant.ExpiresAt)}").ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }

    public static async Task<int> ListAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var grants = await ctx.Api().ListGrantsAsync(ctx.Cancellation).ConfigureAwait(false);
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, grants, c => c.IReadOnlyListGrantView).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        var table = new TableWriter("ID", "FROM", "TO", "EXPIRES", "REASON");
        foreach (var g in grants)
        {
            table.Add(g.Id, g.From, g.To, Printer.Time(g.ExpiresAt), g.Reason);
        }

        await table.WriteAsync(ctx.Out).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    public static async Task<int> RevokeAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var id = TokenCommands.IdArgument(ctx.Args.Positionals[0], "grant revoke");
        var grant = await ctx.Api().RevokeGrantAsync(id, ctx.Cancellation).ConfigureAwait(false);
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, grant, c => c.GrantView).ConfigureAwait(false);
        }
        else
        {
            await ctx.Out.WriteLineAsync($"grant {grant.Id} revoked; {grant.From} loses {grant.To} now").ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }
}
