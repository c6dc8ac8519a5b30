using MeshPorts.Ctl.Cli;

namespace MeshPorts.Ctl.Parsing;

/// <summary>A SUBJECT of PRODUCT.md: a node name, <c>user:NAME</c> or <c>tag:NAME</c>.</summary>
internal readonly record struct Subject(SubjectKind Kind, string Name)
{
    /// <summary>The canonical spelling the coordinator accepts.</summary>
    public override string ToString() => Kind switch
    {
        SubjectKind.User => "user:" + Name,
        SubjectKind.Tag => "tag:" + Name,
        _ => Name,
    };

    public static Subject Parse(string option, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return NameRules.IsLabel(text)
                ? new Subject(SubjectKind.Node, text)
                : throw Bad(option, text, $"a node name is {NameRules.LabelHint}");
        }

        var prefix = text[..colon];
        var name = text[(colon + 1)..];
        return prefix switch
        {
            "user" when NameRules.IsUser(name) => new Subject(SubjectKind.User, name),
            "user" => throw Bad(option, text, $"a user name is {NameRules.UserHint}"),
            "tag" when NameRules.IsTag(name) => new Subject(SubjectKind.Tag, name),
            "tag" => throw Bad(option, text, $"a tag is {NameRules.TagHint}"),
            _ => throw Bad(option, text, $"'{prefix}:' is not a subject kind"),
        };
    }

    /// <summary>A TARGET: a node name or <c>tag:NAME</c> (a user owns no ports).</summary>
    public static Subject ParseTarget(string option, string text)
    {
        var target = Parse(option, text);
        return target.Kind == SubjectKind.User
            ? throw new UsageException($"{option} '{text}': a target is a node name or tag:NAME, not a user; a user owns no ports")
            : target;
    }

    private static UsageException Bad(string option, string text, string why) =>
        new($"{option} '{text}' is not a subject ({why}); write a node name, user:NAME or tag:NAME");
}
