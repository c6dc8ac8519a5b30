namespace MeshPorts.Contracts.Cli;

/// <summary>
/// The option grammar the servers share (<c>meshports-coordinator</c>, <c>meshports-relay</c>): every
/// option takes a value, as <c>--name value</c> or <c>--name=value</c>; <c>--help</c> or <c>-h</c>
/// anywhere asks for the usage.
/// </summary>
public static class LongOptions
{
    /// <summary>
    /// The (name, value) pairs in order, or null when help was asked for. An option not in
    /// <paramref name="known"/>, or one without its value, is a <see cref="UsageException"/> that says so.
    /// </summary>
    public static IReadOnlyList<(string Name, string Value)>? Read(IReadOnlyList<string> args, IReadOnlySet<string> known)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(known);
        var pairs = new List<(string, string)>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg is "--help" or "-h")
            {
                return null;
            }

            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                // A name given with '=' is checked by the caller's switch, as before: unknown ones say so there.
                pairs.Add((arg[..eq], arg[(eq + 1)..]));
            }
            else if (!known.Contains(arg))
            {
                throw new UsageException($"unknown option '{arg}'; see --help");
            }
            else
            {
                pairs.Add((arg, i + 1 < args.Count ? args[++i] : throw new UsageException($"{arg} needs a value; see --help")));
            }
        }

        return pairs;
    }
}
