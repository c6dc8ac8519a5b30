using System.Globalization;
using MeshPorts.Contracts.Audit;
using MeshPorts.Ctl.Api;
using MeshPorts.Ctl.Audit;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Output;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Commands;

/// <summary><c>audit [--follow] [--since TIME] [--type KIND[,KIND]]... | audit verify</c>. verify checks the log itself (<see cref="AuditVerifier"/>).</summary>
internal static class AuditCommands
{
    public static async Task<int> ListAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        DateTimeOffset? since = ctx.Args.Value("--since") is { } text ? TimeParser.ParseSince("--since", text, ctx.Clock) : null;
        var follow = ctx.Args.Flag("--follow");
        var kinds = AuditKinds.Parse("--type", ctx.Args.Values("--type"));

        await foreach (var e in ctx.Api().AuditAsync(since, follow, ctx.Cancellation).ConfigureAwait(false))
        {
            // Filtered here, not by the server: ListAudit/FollowAudit have no kind filter, and the
            // chain's events stay whole for `audit verify` either way.
            if (kinds.Count > 0 && !kinds.Contains(e.Kind))
            {
                continue;
            }

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
        var server = await ctx.Api().VerifyAuditAsync(ctx.Cancellation).ConfigureAwait(false);

        // A server that finds its own chain broken is believed; one that finds it intact is checked.
        if (!server.Ok)
        {
            return await FailAsync(ctx, server with { AuditKey = null, Head = null }, server.FirstBadSeq, server.Problem ?? "hash chain mismatch").ConfigureAwait(false);
        }

        var config = ctx.LoadConfig();
        var seenPath = SeenHeadFile.PathFor(config.Source);
        var seen = SeenHeadFile.Load(seenPath);
        var (keyText, source) = config.AuditKey is { } fromConf ? (fromConf, "meshctl.conf")
            : seen is not null ? (seen.AuditKey, "saved")
            : server.AuditKey is { } offered ? (offered, "first use")
            : throw new CtlException("the coordinator names no audit key, so its audit log is not signed; upgrade the coordinator");
        if (!AuditHeadSignature.TryParseKey(keyText, out var key))
        {
            throw new CtlException($"the audit key '{keyText}' ({source}) is not ed25519:<base64 of 32 bytes>; copy the key the coordinator printed at start into meshctl.conf as audit_key");
        }

        if (source == "first use")
        {
            await ctx.Error.WriteLineAsync(
                $"meshctl: trusting the coordinator's audit key {keyText} on first use (meshctl.conf has no audit_key); it is kept in {seenPath}. "
                + "Compare it with the 'audit signing key' line the coordinator prints at start, and add 'audit_key = ...' to meshctl.conf to pin it").ConfigureAwait(false);
        }

        var check = await new AuditVerifier(ctx.Api(), key, seen).CheckAsync(server.Head, ctx.Cancellation).ConfigureAwait(false);
        var result = new AuditVerifyView
        {
            Ok = check.Ok,
            Checked = check.Checked,
            FirstBadSeq = check.FirstBadSeq,
            Problem = check.Problem,
            Head = check.Head,
            AuditKey = keyText,
            AuditKeySource = source,
            PreviousHeadSeq = seen?.Seq,
            PreviousHeadSeenAt = seen?.SeenAt,
        };
        if (!check.Ok)
        {
            return await FailAsync(ctx, result, check.FirstBadSeq, check.Problem!, seenPath).ConfigureAwait(false);
        }

        if (check.Head is { } head)
        {
            SeenHeadFile.Save(seenPath, new SeenHead(keyText, head.Seq, head.Hash, head.Time, ctx.Clock.GetUtcNow()));
        }

        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, result, c => c.AuditVerifyView).ConfigureAwait(false);
        }
        else if (check.Head is not { } signed)
        {
            await ctx.Out.WriteLineAsync("audit log empty: nothing to verify yet").ConfigureAwait(false);
        }
        else
        {
            var previous = seen is null ? "no earlier head to compare with" : Invariant($"still holds event {seen.Seq} as seen {TimeParser.Format(seen.SeenAt)}");
            await ctx.Out.WriteLineAsync(Invariant(
                $"audit log intact: {check.Checked} events recomputed from the first; head #{signed.Seq} signed {TimeParser.Format(signed.Time)} by {keyText} ({source}); {previous}")).ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> FailAsync(CommandContext ctx, AuditVerifyView result, ulong? seq, string problem, string? seenPath = null)
    {
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, result, c => c.AuditVerifyView).ConfigureAwait(false);
        }

        // The checks against the signed and the saved head already say what is wrong in their first words.
        var what = problem.StartsWith("audit log ", StringComparison.Ordinal) || problem.StartsWith("head signature", StringComparison.Ordinal)
            ? problem
            : $"audit log BROKEN at event #{seq?.ToString(CultureInfo.InvariantCulture) ?? "?"}: {problem}";
        var fix = seenPath is null
            ? "restore the database from a backup and investigate who changed it"
            : $"restore the database from a backup and investigate who changed it (or remove {seenPath} to trust the log as it is now)";
        await ctx.Error.WriteLineAsync($"meshctl: {what}; {fix}".ReplaceLineEndings(" ")).ConfigureAwait(false);
        return ExitCodes.Failed;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
