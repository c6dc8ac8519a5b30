namespace MeshPorts.Contracts.Grammar;

/// <summary>
/// The shape of the names MeshPorts stores. Node names become DNS labels on the overlay, hence RFC 1123
/// labels; users, tags and policy rule names are labels that may also hold an e-mail address. meshctl checks
/// them before any network call and the coordinator checks them again, with these same rules, so neither
/// refuses what the other takes.
/// </summary>
public static class Names
{
    public const int MaxNodeName = 63;
    public const int MaxLabel = 64;

    /// <summary>What a node name may be, for error messages.</summary>
    public const string NodeNameRule = "1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'";

    /// <summary>What a user, tag or rule name may be, for error messages.</summary>
    public const string LabelRule = "1-64 characters of letters, digits and . _ @ -";

    public static bool IsNodeName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxNodeName || name[0] == '-' || name[^1] == '-')
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

    public static bool IsLabel(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxLabel)
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
