using MeshPorts.Contracts.Cli;
using MeshPorts.Ctl.Cli;

namespace MeshPorts.Ctl.Commands;

/// <summary>Every meshctl command, exactly as PRODUCT.md lists them.</summary>
internal static class CommandTable
{
    public const string Usage = """
        Usage: meshctl COMMAND [OPTIONS] [--json] [--config FILE]

        Tokens (a join string enrolls one node):
          token create [--name NAME] [--user USER] [--tag TAG]... [--ttl 1h] [--uses 1]
          token list
          token revoke ID
        Nodes:
          nodes list
          nodes show NAME
          nodes remove NAME
        Grants (temporary access; every grant ends):
          grant add --from SUBJECT --to TARGET:PORT/PROTO --for DURATION [--reason TEXT]
          grant list
          grant revoke ID
        Keys:
          keys rotate (--node NAME | --all)
        Policy (standing rules and their tests):
          policy apply FILE
          policy test FILE
          policy show
        Access:
          access check --from SUBJECT --to TARGET:PORT/PROTO [--at TIME]
        Audit:
          audit [--follow] [--since TIME] [--type KIND[,KIND]]...
          audit verify
        Shell completion:
          completion bash|zsh

        SUBJECT is a node name, user:NAME or tag:NAME; TARGET is a node name or tag:NAME.
        Durations: 90s, 10m, 1h, 24h. Times: RFC 3339 UTC, e.g. 2026-11-29T06:00:00Z.
        --json prints machine output (camelCase). Run 'meshctl COMMAND --help' for details.
        Config: --config FILE, $MESHCTL_CONFIG, ~/.config/meshports/meshctl.conf,
                /var/lib/meshports-coordinator/meshctl.conf (must be mode 0600).
        Exit codes: 0 success, 1 operation failed, 2 usage error.
        """;

    public static IReadOnlyList<CommandEntry> All { get; } =
    [
        new(new CommandSpec(
                "token create",
                "token create [--name NAME] [--user USER] [--tag TAG]... [--ttl 1h] [--uses 1]",
                "Creates a join token and prints its join string (coordinator URL, certificate pin and secret).",
                valueOptions: ["--name", "--user", "--tag", "--ttl", "--uses"],
                details: """
                    --name NAME   the name of the one node it enrolls (refused while a node or a live
                                  token has it); without --name, nodes are named node-1, node-2, ...
                    --user USER   the user the node belongs to
                    --tag TAG     a tag for the node; repeat for several
                    --ttl 1h      how long the token stays valid (default 1h, at most the
                                  coordinator's --max-token-ttl, 7d by default)
                    --uses 1      how many nodes may enroll with it (default 1; 1 with --name)
                    """),
            TokenCommands.CreateAsync),
        new(new CommandSpec("token list", "token list", "Lists join tokens (never their secrets)."), TokenCommands.ListAsync),
        new(new CommandSpec("token revoke", "token revoke ID", "Revokes a join token so no further node can enroll with it.", positionals: ["ID"]), TokenCommands.RevokeAsync),
        new(new CommandSpec("nodes list", "nodes list", "Lists the enrolled nodes."), NodeCommands.ListAsync),
        new(new CommandSpec("nodes show", "nodes show NAME", "Shows one node.", positionals: ["NAME"]), NodeCommands.ShowAsync),
        new(new CommandSpec("nodes remove", "nodes remove NAME", "Removes a node: its streams close and every peer drops it at once.", positionals: ["NAME"]), NodeCommands.RemoveAsync),
        new(new CommandSpec(
                "grant add",
                "grant add --from SUBJECT --to TARGET:PORT/PROTO --for DURATION [--reason TEXT]",
                "Grants temporary access; it ends after --for (capped by the coordinator, 24h by default).",
                valueOptions: ["--from", "--to", "--for", "--reason"],
                details: """
                    --from SUBJECT            a node name, user:NAME or tag:NAME
                    --to TARGET:PORT/PROTO    e.g. db1:5432/tcp or tag:db:5432/tcp
                    --for DURATION            required: 90s, 10m, 1h, 24h
                    --reason TEXT             recorded in the audit log
                    """),
            GrantCommands.AddAsync),
        new(new CommandSpec("grant list", "grant list", "Lists active grants."), GrantCommands.ListAsync),
        new(new CommandSpec("grant revoke", "grant revoke ID", "Ends a grant now: the peer drops out and open flows are cut.", positionals: ["ID"]), GrantCommands.RevokeAsync),
        new(new CommandSpec(
                "keys rotate",
                "keys rotate (--node NAME | --all)",
                "Tells a node (or every node) to rotate its WireGuard key now.",
                valueOptions: ["--node"],
                flags: ["--all"]),
            KeyCommands.RotateAsync),
        new(new CommandSpec("policy apply", "policy apply FILE", "Validates FILE, runs its tests, and applies it only if all pass.", positionals: ["FILE"]), PolicyCommands.ApplyAsync),
        new(new CommandSpec("policy test", "policy test FILE", "Runs FILE's tests against the live state without applying it.", positionals: ["FILE"]), PolicyCommands.TestAsync),
        new(new CommandSpec("policy show", "policy show", "Prints the policy in force."), PolicyCommands.ShowAsync),
        new(new CommandSpec(
                "access check",
                "access check --from SUBJECT --to TARGET:PORT/PROTO [--at TIME]",
                "Says which rule or grant allows the access and until when, or that nothing does.",
                valueOptions: ["--from", "--to", "--at"],
                details: "--at TIME   RFC 3339 UTC (e.g. 2026-11-29T06:00:00Z) or 'now' (default)"),
            AccessCommands.CheckAsync),
        new(new CommandSpec(
                "audit",
                "audit [--follow] [--since TIME] [--type KIND[,KIND]]...",
                "Prints the audit log; --follow keeps streaming new events.",
                valueOptions: ["--since", "--type"],
                flags: ["--follow"],
                details: """
                    --follow                 keep streaming new events until Ctrl-C
                    --since TIME             RFC 3339 UTC, or a duration meaning that long ago (1h)
                    --type KIND[,KIND]       only these kinds, e.g. grant.added,grant.ended; repeatable
                                             (kinds: token.*, node.*, grant.*, key.*, policy.*,
                                             flow.*, delta.acked, ...; each event shows its own)
                    """),
            AuditCommands.ListAsync),
        new(new CommandSpec("audit verify", "audit verify", "Recomputes the audit log's hash chain, checks its signed head and that it still holds the head seen last time; exits 1 if not."), AuditCommands.VerifyAsync),
        new(new CommandSpec(
                "completion",
                "completion bash|zsh",
                "Prints a completion script for commands, subcommands and options, made from this meshctl's own command table.",
                positionals: ["SHELL"],
                details: """
                    bash: add   source <(meshctl completion bash)   to ~/.bashrc
                    zsh:  add   source <(meshctl completion zsh)    to ~/.zshrc, after compinit
                          (or save it as _meshctl in a directory on $fpath)
                    """),
            CompletionCommands.PrintAsync),
    ];

    /// <summary>
    /// <c>meshctl grant --help</c>: the help of every command in the group (for <c>audit</c>, which is
    /// a command itself, also <c>audit verify</c>); null when <paramref name="group"/> is not a group.
    /// </summary>
    public static string? GroupHelp(string group)
    {
        var entries = All.Where(e => e.Spec.Path == group || e.Spec.Path.StartsWith(group + " ", StringComparison.Ordinal)).ToList();
        return entries.Any(e => e.Spec.Path != group)
            ? string.Join("\n", entries.Select(e => e.Spec.Section())) + "\n" + CommandSpec.ExitCodesLine
            : null;
    }

    /// <summary>The command named by the leading words, and how many words it took.</summary>
    public static (CommandEntry Entry, int Consumed) Find(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count >= 2)
        {
            var two = args[0] + " " + args[1];
            foreach (var entry in All)
            {
                if (entry.Spec.Path == two)
                {
                    return (entry, 2);
                }
            }
        }

        foreach (var entry in All)
        {
            if (entry.Spec.Path == args[0])
            {
                return (entry, 1);
            }
        }

        var group = All.Where(e => e.Spec.Path.StartsWith(args[0] + " ", StringComparison.Ordinal)).ToList();
        if (group.Count > 0)
        {
            var subs = string.Join(", ", group.Select(e => e.Spec.Path[(args[0].Length + 1)..]));
            return args.Count < 2 || args[1].StartsWith('-')
                ? throw new UsageException($"'{args[0]}' needs a subcommand: {subs}; e.g. 'meshctl {group[0].Spec.Synopsis}'")
                : throw new UsageException($"unknown subcommand '{args[0]} {args[1]}'; '{args[0]}' has: {subs}");
        }

        // A common slip: "node" for "nodes", "grants" for "grant".
        var hint = args[0] switch
        {
            "node" => "; did you mean 'nodes'?",
            "grants" => "; did you mean 'grant'?",
            "tokens" => "; did you mean 'token'?",
            "key" => "; did you mean 'keys'?",
            _ => string.Empty,
        };
        throw new UsageException($"unknown command '{args[0]}'{hint}; run 'meshctl --help' for the list");
    }
}
