using MeshPorts.Contracts.Cli;

namespace MeshPorts.Ctl.Cli;

/// <summary>The options and positional arguments of one command line, already checked against the command's spec.</summary>
internal sealed class ParsedArgs
{
    private readonly Dictionary<string, List<string>> _values;
    private readonly HashSet<string> _flags;

    public ParsedArgs(Dictionary<string, List<string>> values, HashSet<string> flags, IReadOnlyList<string> positionals)
    {
        _values = values;
        _flags = flags;
        Positionals = positionals;
    }

    public IReadOnlyList<string> Positionals { get; }

    public bool Flag(string name) => _flags.Contains(name);

    public bool Has(string name) => _values.ContainsKey(name) || _flags.Contains(name);

    /// <summary>The value of an option that may be given at most once.</summary>
    public string? Value(string name)
    {
        if (!_values.TryGetValue(name, out var list))
        {
            return null;
        }

        if (list.Count > 1)
        {
            throw new UsageException($"{name} is given {list.Count} times; give it once");
        }

        return list[0];
    }

    /// <summary>Every value of a repeatable option, in command-line order.</summary>
    public IReadOnlyList<string> Values(string name) =>
        _values.TryGetValue(name, out var list) ? list : [];

    public string Required(string name, string example) =>
        Value(name) ?? throw new UsageException($"{name} is required, e.g. '{name} {example}'");
}
