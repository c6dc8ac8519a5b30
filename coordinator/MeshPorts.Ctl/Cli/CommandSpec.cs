namespace MeshPorts.Ctl.Cli;

/// <summary>What one command accepts, and the text its --help prints.</summary>
internal sealed class CommandSpec
{
    /// <summary>Accepted by every command.</summary>
    public static readonly IReadOnlyList<string> CommonFlags = ["--json", "--help"];
    public static readonly IReadOnlyList<string> CommonValues = ["--config"];

    public CommandSpec(
        string path,
        string synopsis,
        string summary,
        IReadOnlyList<string>? valueOptions = null,
        IReadOnlyList<string>? flags = null,
        IReadOnlyList<string>? positionals = null,
        string? details = null)
    {
        Path = path;
        Synopsis = synopsis;
        Summary = summary;
        ValueOptions = valueOptions ?? [];
        Flags = flags ?? [];
        Positionals = positionals ?? [];
        Details = details;
    }

    /// <summary>The command words, e.g. "grant add".</summary>
    public string Path { get; }

    /// <summary>The usage line after "meshctl ".</summary>
    public string Synopsis { get; }

    public string Summary { get; }

    public IReadOnlyList<string> ValueOptions { get; }

    public IReadOnlyList<string> Flags { get; }

    /// <summary>Names of the required positional arguments, in order.</summary>
    public IReadOnlyList<string> Positionals { get; }

    public string? Details { get; }

    public bool TakesValue(string option) => ValueOptions.Contains(option) || CommonValues.Contains(option);

    public bool IsFlag(string option) => Flags.Contains(option) || CommonFlags.Contains(option);

    public const string ExitCodesLine = "Exit codes: 0 success, 1 operation failed, 2 usage error.";

    public string HelpText() => Section() + "\n" + ExitCodesLine;

    /// <summary>The usage line, summary and details; a group's help is its commands' sections.</summary>
    public string Section()
    {
        var text = $"Usage: meshctl {Synopsis} [--json] [--config FILE]\n\n{Summary}\n";
        if (Details is not null)
        {
            text += "\n" + Details + "\n";
        }

        return text;
    }
}
