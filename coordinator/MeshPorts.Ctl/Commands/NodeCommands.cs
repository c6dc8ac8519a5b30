using System.Globalization;
using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Ctl.Api;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Output;
using MeshPorts.Ctl.Parsing;

namespace MeshPorts.Ctl.Commands;

/// <summary><c>nodes list | show | remove</c>.</summary>
internal static class NodeCommands
{
    public static async Task<int> ListAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var nodes = await ctx.Api().ListNodesAsync(ctx.Cancellation).ConfigureAwait(false);
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, nodes, c => c.IReadOnlyListNodeView).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        var table = new TableWriter("NAME", "OVERLAY IP", "USER", "TAGS", "ONLINE", "LAST SEEN", "SERIAL", "KEY EXPIRES");
        foreach (var n in nodes)
        {
            table.Add(n.Name, n.OverlayIp, n.User, Printer.List(n.Tags), n.Online ? "yes" : "no", Printer.Time(n.LastSeen),
                n.AppliedSerial.ToString(System.Globalization.CultureInfo.InvariantCulture), Printer.Time(n.KeyExpiresAt));
        }

        await table.WriteAsync(ctx.Out).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    public static async Task<int> ShowAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var node = await ctx.Api().GetNodeAsync(NodeName(ctx), ctx.Cancellation).ConfigureAwait(false);
        await WriteNodeAsync(ctx, node).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    public static async Task<int> RemoveAsync(CommandContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var node = await ctx.Api().RemoveNodeAsync(NodeName(ctx), ctx.Cancellation).ConfigureAwait(false);
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, node, c => c.NodeView).ConfigureAwait(false);
        }
        else
        {
            await ctx.Out.WriteLineAsync($"node {node.Name} removed; its peers drop it now").ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }

    private static string NodeName(CommandContext ctx)
    {
        var name = ctx.Args.Positionals[0];
        return Names.IsNodeName(name)
            ? name
            : throw new UsageException($"'{name}' is not a node name ({Names.NodeNameRule}); see 'meshctl nodes list'");
    }

    private static async Task WriteNodeAsync(CommandContext ctx, NodeView n)
    {
        if (ctx.Json)
        {
            await Printer.WriteJsonAsync(ctx.Out, n, c => c.NodeView).ConfigureAwait(false);
            return;
        }

        var lines = new[]
        {
            $"name:           {n.Name}",
            $"overlay ip:     {n.OverlayIp ?? "-"}{(n.OverlayIpv6 is null ? string.Empty : ", " + n.OverlayIpv6)}",
            $"user:           {n.User ?? "-"}",
            $"tags:           {Printer.List(n.Tags)}",
            $"public key:     {n.PublicKey ?? "-"}",
            $"key expires:    {Printer.Time(n.KeyExpiresAt)}",
            $"online:         {(n.Online ? "yes" : "no")}",
            $"last seen:      {Printer.Time(n.LastSeen)}",
            $"applied serial: {n.AppliedSerial}",
            $"endpoints:      {Printer.List(n.Endpoints)}",
            $"exposed:        {Printer.List(n.Exposed)}",
        };
        foreach (var line in lines)
        {
            await ctx.Out.WriteLineAsync(line).ConfigureAwait(false);
        }

        if (n.Candidates is null)
        {
            return;
        }

        await ctx.Out.WriteLineAsync($"candidates:     {Printer.List(n.Candidates)}").ConfigureAwait(false);
        await ctx.Out.WriteLineAsync($"home relay:     {n.HomeRelay ?? "-"}").ConfigureAwait(false);
        if (n.Paths is not { Count: > 0 })
        {
            await ctx.Out.WriteLineAsync("paths:          -").ConfigureAwait(false);
            return;
        }

        await ctx.Out.WriteLineAsync("paths:").ConfigureAwait(false);
        var table = new TableWriter("PEER", "PATH", "ENDPOINT", "RTT");
        foreach (var p in n.Paths)
        {
            table.Add(p.Peer, p.Path, p.Endpoint ?? "-", p.RttMs is { } rtt ? rtt.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-");
        }

        await table.WriteAsync(ctx.Out).ConfigureAwait(false);
    }
}
