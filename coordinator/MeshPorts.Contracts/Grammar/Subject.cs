namespace MeshPorts.Contracts.Grammar;

/// <summary>
/// A SUBJECT of the product contract: a node name, <c>user:NAME</c> or <c>tag:NAME</c>. A TARGET is a subject
/// that can own ports: a node or a tag, never a user. Parsed once, here, by meshctl, the coordinator's RPCs and
/// its policy file alike; errors say what is wrong in words that fit any of them.
/// </summary>
public readonly record struct Subject(SubjectKind Kind, string Name)
{
    /// <summary>The accepted forms, for error messages.</summary>
    public const string Forms = "a node name, user:NAME or tag:NAME";

    private const string UserPrefix = "user:";
    private const string TagPrefix = "tag:";

    /// <summary>Whether this subject can own ports (be the target of a rule or grant).</summary>
    public bool IsTarget => Kind != SubjectKind.User;

    /// <summary>The canonical spelling, which <see cref="TryParse"/> reads back.</summary>
    public override string ToString() => Kind switch
    {
        SubjectKind.User => UserPrefix + Name,
        SubjectKind.Tag => TagPrefix + Name,
        _ => Name,
    };

    public static Subject Node(string name) => new(SubjectKind.Node, name);

    public static Subject User(string name) => new(SubjectKind.User, name);

    public static Subject Tag(string name) => new(SubjectKind.Tag, name);

    /// <summary>Parses a subject; on failure <paramref name="error"/> says which rule the text broke.</summary>
    public static bool TryParse(string? text, out Subject subject, out string error)
    {
        subject = default;
        var span = (text ?? "").AsSpan().Trim();
        var colon = span.IndexOf(':');
        if (colon < 0)
        {
            if (!Names.IsNodeName(span))
            {
                error = $"a node name is {Names.NodeNameRule}";
                return false;
            }

            subject = Node(span.ToString());
            error = "";
            return true;
        }

        var prefix = span[..(colon + 1)];
        var name = span[(colon + 1)..];
        SubjectKind kind;
        if (prefix.SequenceEqual(UserPrefix))
        {
            kind = SubjectKind.User;
        }
        else if (prefix.SequenceEqual(TagPrefix))
        {
            kind = SubjectKind.Tag;
        }
        else
        {
            error = $"'{prefix}' is not a subject kind";
            return false;
        }

        if (!Names.IsLabel(name))
        {
            error = $"a {(kind == SubjectKind.User ? "user name" : "tag")} is {Names.LabelRule}";
            return false;
        }

        subject = new Subject(kind, name.ToString());
        error = "";
        return true;
    }

    /// <summary>Parses a TARGET: a subject that is not a user.</summary>
    public static bool TryParseTarget(string? text, out Subject target, out string error)
    {
        if (!TryParse(text, out target, out error))
        {
            return false;
        }

        if (!target.IsTarget)
        {
            target = default;
            error = "a target is a node name or tag:NAME, not a user; a user owns no ports";
            return false;
        }

        return true;
    }
}
