namespace MeshPorts.Ctl.Parsing;

/// <summary>
/// Client-side shape checks for names, so a typo fails before any network call; the coordinator checks again.
/// Node names become DNS labels on the overlay, hence RFC 1123 labels; users and tags follow the
/// coordinator's label rule (docs/coordinator.md), so meshctl never refuses what the server would take.
/// </summary>
internal static class NameRules
{
    public const string LabelHint = "1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'";
    public const string UserHint = "1-64 characters of letters, digits and . _ @ -";
    public const string TagHint = UserHint;

    public static bool IsLabel(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 63 || name[0] == '-' || name[^1] == '-')
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsTag(string? name) => IsUser(name);

    public static bool IsUser(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
