using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Ctl.Cli;

namespace MeshPorts.Ctl.Parsing;

/// <summary>
/// meshctl's face on the shared grammar (Contracts/Grammar): the same rules the coordinator applies, with
/// errors that name the option and the fix, thrown before any network call.
/// </summary>
internal static class OptionText
{
    public static Subject Subject(string option, string text) =>
        Contracts.Grammar.Subject.TryParse(text, out var subject, out var why) ? subject : throw NotASubject(option, text, why);

    /// <summary>A TARGET: a node name or <c>tag:NAME</c> (a user owns no ports).</summary>
    public static Subject Target(string option, string text)
    {
        var target = Subject(option, text);
        return target.IsTarget
            ? target
            : throw new UsageException($"{option} '{text}': a target is a node name or tag:NAME, not a user; a user owns no ports");
    }

    public static PortTarget PortTarget(string option, string text) =>
        Contracts.Grammar.PortTarget.TryParse(text, out var target, out var why)
            ? target
            : throw new UsageException($"{option} '{text}': {why}");

    /// <summary>A positive duration, or a usage error that shows the accepted forms.</summary>
    public static TimeSpan Duration(string option, string text)
    {
        if (!DurationText.TryParse(text, out var duration))
        {
            throw new UsageException($"{option} '{text}' is not a duration; write it as {DurationText.Forms}");
        }

        return duration > TimeSpan.Zero ? duration : throw new UsageException($"{option} must be longer than zero, e.g. '{option} 1h'");
    }

    public static string NodeName(string option, string text) =>
        Names.IsNodeName(text) ? text : throw new UsageException($"{option} '{text}' is not a node name ({Names.NodeNameRule})");

    private static UsageException NotASubject(string option, string text, string why) =>
        new($"{option} '{text}' is not a subject ({why}); write {Contracts.Grammar.Subject.Forms}");
}
