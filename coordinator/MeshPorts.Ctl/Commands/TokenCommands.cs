using System.Globalization;
using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Output;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Commands;

/// <summary><c>token create | list | revoke</c>.</summary>
internal static class TokenCommands
{
    // PRODUCT.md: join tokens are single use and live 1h unless told otherwise.
    private static readonly TimeSpan s_defaultTtl = TimeSpan.FromHours(1);

    public static async Task<int> CreateAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var name = ctx.Args.Value("--name");
        if (name is not null)
        {
            OptionText.NodeName("--name", name);
        }

        var user = ctx.Args.Value("--user");
        if (user is not null && !Names.IsLabel(user))
        {
            throw new UsageException($"--user '{user}' is not a user name ({Names.LabelRule})");
        }

        var tags = new List<string>();
        foreach (var raw in ctx.Args.Values("--tag"))
        {
            // "tag:db" is how tags are written elsewhere; accept it here too rather than store "tag:tag:db".
            var tag = raw.StartsWith("tag:", StringComparison.Ordinal) ? raw[4..] : raw;
            if (!Names.IsLabel(tag))
            {
                throw new UsageException($"--tag '{raw}' is not a tag ({Names.LabelRule})");
            }

            if (!tags.Contains(tag))
            {
                tags.Add(tag);
            }
        }

        var ttlText = ctx.Args.Value("--ttl");
        var ttl = ttlText is null ? s_defaultTtl : OptionText.Duration("--ttl", ttlText);
        var uses = 1;
        if (ctx.Args.Value("--uses") is { } usesText
            && (!int.TryParse(usesText, NumberStyles.None, CultureInfo.InvariantCulture, out uses) || uses < 1 || uses > 100_000))
        {
            throw new UsageException($"--uses '{usesText}' must be a whole number from 1 to 100000");
        }

        var token = await ctx.Api().CreateTokenAsync(name, user, tags, ttl, uses, ctx.Cancellation).ConfigureAwait(false);
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, token, c => c.TokenView).ConfigureAwait(false);
        }
        else
        {
            // The join string alone on stdout, so `JOIN=$(meshctl token create)` just works; the rest goes to stderr.
            await ctx.Out.WriteLineAsync(token.JoinString).ConfigureAwait(false);
            await ctx.Error.WriteLineAsync(
                $"token {token.Id}: {token.Uses} use(s), expires {Printer.Time(token.ExpiresAt)}").ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }

    public static async Task<int> ListAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var tokens = await ctx.Api().ListTokensAsync(ctx.Cancellation).ConfigureAwait(false);
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, tokens, c => c.IReadOnlyListTokenView).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        var table = new TableWriter("ID", "NAME", "USER", "TAGS", "USES LEFT", "EXPIRES", "STATE");
        foreach (var t in tokens)
        {
            table.Add(t.Id, t.Name, t.User, Printer.List(t.Tags), $"{t.UsesLeft}/{t.Uses}", Printer.Time(t.ExpiresAt), t.Revoked ? "revoked" : "active");
        }

        await table.WriteAsync(ctx.Out).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    public static async Task<int> RevokeAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var id = IdArgument(ctx.Args.Positionals[0], "token revoke");
        var token = await ctx.Api().RevokeTokenAsync(id, ctx.Cancellation).ConfigureAwait(false);
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, token, c => c.TokenView).ConfigureAwait(false);
        }
        else
        {
            await ctx.Out.WriteLineAsync($"token {token.Id} revoked").ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }

    /// <summary>IDs are opaque to meshctl; only reject what cannot be one, so the server's "not found" stays precise.</summary>
    internal static string IdArgument(string id, string command)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > 128 || id.Any(char.IsWhiteSpace))
        {
            throw new UsageException($"'{id}' is not an ID; copy it from 'meshctl {command.Split(' ')[0]} list'");
        }

        return id;
    }
}
