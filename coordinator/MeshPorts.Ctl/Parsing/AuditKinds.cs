using MeshPorts.Contracts.Cli;
using MeshPorts.Ctl.Cli;

namespace MeshPorts.Ctl.Parsing;

/// <summary><c>audit --type grant.added,grant.ended</c>: audit event kinds, comma-separated or repeated.</summary>
internal static class AuditKinds
{
    private const string Example = "e.g. --type grant.added,grant.ended (each event's kind is in 'meshctl audit' output)";

    /// <summary>The kinds asked for, lower-cased; empty when no --type was given (every kind).</summary>
    public static IReadOnlySet<string> Parse(string option, IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            foreach (var part in value.Split(','))
            {
                var kind = part.Trim().ToLowerInvariant();
                if (!IsKind(kind))
                {
                    throw new UsageException(part.Trim().Length == 0
                        ? $"{option} '{value}' has an empty kind; {Example}"
                        : $"{option} '{part.Trim()}' is not an audit kind (NOUN.VERB); {Example}");
                }

                kinds.Add(kind);
            }
        }

        return kinds;
    }

    // Kinds are lower-case words joined by dots, as the coordinator writes them (grant.added, key.rotate_requested).
    private static bool IsKind(string kind)
    {
        var words = kind.Split('.');
        return words.Length >= 2 && words.All(w => w.Length > 0 && w.All(c => c is (>= 'a' and <= 'z') or '_'));
    }
}
