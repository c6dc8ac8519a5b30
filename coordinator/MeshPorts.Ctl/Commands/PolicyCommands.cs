using MeshPorts.Contracts.Cli;
using MeshPorts.Ctl.Api;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Output;

namespace MeshPorts.Ctl.Commands;

/// <summary><c>policy apply FILE | test FILE | show</c>: meshctl ships the text; the coordinator parses and judges it.</summary>
internal static class PolicyCommands
{
    // A policy is a page of rules; a megabyte means the wrong file was named.
    private const long MaxPolicyBytes = 1 << 20;

    public static Task<int> ApplyAsync(CommandContext ctx) => RunAsync(ctx, apply: true);

    public static Task<int> TestAsync(CommandContext ctx) => RunAsync(ctx, apply: false);

    public static async Task<int> ShowAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var policy = await ctx.Api().ShowPolicyAsync(ctx.Cancellation).ConfigureAwait(false);
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, policy, c => c.PolicyView).ConfigureAwait(false);
        }
        else if (!policy.Applied)
        {
            await ctx.Out.WriteLineAsync("no policy applied; apply one with 'meshctl policy apply FILE'").ConfigureAwait(false);
        }
        else
        {
            await ctx.Out.WriteAsync(policy.Text.EndsWith('\n') || policy.Text.Length == 0 ? policy.Text : policy.Text + "\n").ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> RunAsync(CommandContext ctx, bool apply)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var text = await ReadFileAsync(ctx.Args.Positionals[0], ctx.Cancellation).ConfigureAwait(false);
        var api = ctx.Api();
        var result = apply
            ? await api.ApplyPolicyAsync(text, ctx.Cancellation).ConfigureAwait(false)
            : await api.TestPolicyAsync(text, ctx.Cancellation).ConfigureAwait(false);

        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, result, c => c.PolicyResultView).ConfigureAwait(false);
        }
        else
        {
            await WriteHumanAsync(ctx.Out, result, apply).ConfigureAwait(false);
        }

        if (!result.Ok)
        {
            // One line on stderr whatever the output mode, as for every failure.
            var failed = result.Tests.FirstOrDefault(t => !t.Passed);
            // In human mode the errors are already on stdout, one per line: say how many, not the first again.
            var first = result.Errors.Count > 0 && !ctx.Json
                ? (result.Errors.Count == 1 ? "the policy has 1 error (above)" : $"the policy has {result.Errors.Count} errors (above)")
                : result.Errors.Count > 0 ? result.Errors[0]
                : failed is not null ? $"test '{failed.Name}' failed: {failed.Message}"
                : "policy rejected";
            await ctx.Error.WriteLineAsync(
                $"meshctl: {first}{(apply ? "; nothing was changed" : string.Empty)}".ReplaceLineEndings(" ")).ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        return ExitCodes.Ok;
    }

    private static async Task<string> ReadFileAsync(string path, CancellationToken cancellation)
    {
        var file = path == "-" ? null : new FileInfo(path);
        if (file is { Exists: false })
        {
            throw new UsageException($"policy file '{path}' does not exist; check the path");
        }

        if (file is { Length: > MaxPolicyBytes })
        {
            throw new UsageException($"policy file '{path}' is over 1 MiB; is it the right file?");
        }

        // "-" reads stdin, so a policy can be piped from a template engine.
        return file is null
            ? await Console.In.ReadToEndAsync(cancellation).ConfigureAwait(false)
            : await File.ReadAllTextAsync(file.FullName, cancellation).ConfigureAwait(false);
    }

    private static async Task WriteHumanAsync(TextWriter output, PolicyResultView result, bool apply)
    {
        foreach (var error in result.Errors)
        {
            await output.WriteLineAsync("error: " + error).ConfigureAwait(false);
        }

        foreach (var test in result.Tests)
        {
            await output.WriteLineAsync($"{(test.Passed ? "PASS" : "FAIL")}  {test.Name}{(test.Message is null ? string.Empty : "  " + test.Message)}").ConfigureAwait(false);
        }

        var passed = result.Tests.Count(t => t.Passed);
        var summary = $"{passed} passed, {result.Tests.Count - passed} failed";
        await output.WriteLineAsync(apply
            ? result.Applied ? $"policy applied (version {result.Version ?? "-"}); tests: {summary}" : $"policy NOT applied; tests: {summary}"
            : $"tests: {summary}").ConfigureAwait(false);
    }
}
