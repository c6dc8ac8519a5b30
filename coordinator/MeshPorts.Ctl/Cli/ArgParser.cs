using MeshPorts.Contracts.Cli;

namespace MeshPorts.Ctl.Cli;

/// <summary>
/// A small getopt-style parser: <c>--name value</c>, <c>--name=value</c>, flags, and <c>--</c> to end options.
/// A framework would add startup time and trimming warnings to a CLI that has a dozen fixed commands.
/// </summary>
internal static class ArgParser
{
    public static ParsedArgs Parse(IReadOnlyList<string> args, CommandSpec spec)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(spec);

        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var positionals = new List<string>();
        var optionsEnded = false;

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (optionsEnded || arg.Length < 2 || arg[0] != '-')
            {
                positionals.Add(arg);
                continue;
            }

            if (arg == "--")
            {
                optionsEnded = true;
                continue;
            }

            var name = arg;
            string? inline = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && arg.StartsWith("--", StringComparison.Ordinal))
            {
                name = arg[..eq];
                inline = arg[(eq + 1)..];
            }

            if (name == "-h")
            {
                name = "--help";
            }

            if (spec.TakesValue(name))
            {
                var value = inline;
                if (value is null)
                {
                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException($"{name} needs a value; see 'meshctl {spec.Path} --help'");
                    }

                    value = args[++i];
                }

                if (!values.TryGetValue(name, out var list))
                {
                    values[name] = list = [];
                }

                list.Add(value);
            }
            else if (spec.IsFlag(name))
            {
                if (inline is not null)
                {
                    throw new UsageException($"{name} takes no value; write just '{name}'");
                }

                flags.Add(name);
            }
            else
            {
                throw new UsageException($"unknown option '{name}' for 'meshctl {spec.Path}'; see 'meshctl {spec.Path} --help'");
            }
        }

        var parsed = new ParsedArgs(values, flags, positionals);
        if (parsed.Flag("--help"))
        {
            return parsed;
        }

        if (positionals.Count < spec.Positionals.Count)
        {
            throw new UsageException(
                $"missing {spec.Positionals[positionals.Count]}; usage: meshctl {spec.Synopsis}");
        }

        if (positionals.Count > spec.Positionals.Count)
        {
            throw new UsageException(
                $"unexpected argument '{positionals[spec.Positionals.Count]}'; usage: meshctl {spec.Synopsis}");
        }

        return parsed;
    }
}
