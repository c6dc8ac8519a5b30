using System.Buffers;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State;

/// <summary>Who or what a rule talks about: a node name, <c>user:NAME</c> or <c>tag:NAME</c>.</summary>
internal readonly record struct Subject(SubjectKind Kind, string Name)
{
    private static readonly SearchValues<char> NodeChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");
    private static readonly SearchValues<char> LabelChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@");

    public override string ToString() => Kind switch
    {
        SubjectKind.User => "user:" + Name,
        SubjectKind.Tag => "tag:" + Name,
        _ => Name,
    };

    public static bool IsValidNodeName(string name) =>
        name.Length is > 0 and <= 63 && !name.AsSpan().ContainsAnyExcept(NodeChars) && name[0] != '-' && name[^1] != '-';

    public static bool IsValidLabel(string label) => label.Length is > 0 and <= 64 && !label.AsSpan().ContainsAnyExcept(LabelChars);

    public static bool TryParse(string? text, out Subject subject, out string error)
    {
        subject = default;
        text = text?.Trim() ?? "";
        if (text.StartsWith("user:", StringComparison.Ordinal) || text.StartsWith("tag:", StringComparison.Ordinal))
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            var label = text[(colon + 1)..];
            if (!IsValidLabel(label))
            {
                error = $"'{text}': a user or tag name is 1-64 of [A-Za-z0-9-_.@]";
                return false;
            }

            subject = new Subject(text[0] == 'u' ? SubjectKind.User : SubjectKind.Tag, label);
            error = "";
            return true;
        }

        if (!IsValidNodeName(text))
        {
            error = $"'{text}': expected a node name ([a-z0-9-]), user:NAME or tag:NAME";
            return false;
        }

        subject = new Subject(SubjectKind.Node, text);
        error = "";
        return true;
    }

    public static Subject Parse(string? text) =>
        TryParse(text, out var subject, out var error) ? subject : throw new StateException(StateError.InvalidArgument, error);

    /// <summary>Whether this pattern covers <paramref name="node"/>.</summary>
    public bool Covers(NodeRecord node) => Kind switch
    {
        SubjectKind.Node => node.Name == Name,
        SubjectKind.User => node.User == Name,
        _ => node.Tags.Contains(Name),
    };
}
