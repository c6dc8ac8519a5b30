using System.Globalization;
using MeshPorts.Contracts.Grammar;

namespace MeshPorts.Coordinator.State.Policy;

/// <summary>
/// Parses the line-based policy format (docs/coordinator.md):
/// <code>
/// # comment
/// rule web-to-db: tag:web -> tag:db:5432/tcp
/// test allow web-1 -> db-1:5432/tcp
/// test deny user:bob -> tag:db:5432/tcp at 2030-01-01T00:00:00Z
/// </code>
/// A line-based format keeps diffs and error positions exact; every error names its line.
/// </summary>
internal static class PolicyParser
{
    public static PolicyDocument Parse(string text, List<PolicyError> errors)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(errors);
        var rules = new List<PolicyRule>();
        var tests = new List<PolicyTest>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var lineNo = i + 1;
            var line = StripComment(lines[i]).Trim();
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                if (line.StartsWith("rule ", StringComparison.Ordinal))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    var arrow = line.IndexOf("->", StringComparison.Ordinal);
                    if (colon < 0 || arrow < colon)
                    {
                        throw new FormatException("expected 'rule NAME: FROM -> TARGET:PORT/PROTO'");
                    }

                    var name = line[5..colon].Trim();
                    if (!Names.IsLabel(name))
                    {
                        throw new FormatException($"rule name '{name}' must be {Names.LabelRule}");
                    }

                    if (!names.Add(name))
                    {
                        throw new FormatException($"rule name '{name}' is used twice; rule names must be unique");
                    }

                    var (from, to, port, proto) = ParseFlow(line[(colon + 1)..]);
                    rules.Add(new PolicyRule(name, from, to, port, proto, lineNo));
                }
                else if (line.StartsWith("test ", StringComparison.Ordinal))
                {
                    var rest = line[5..].TrimStart();
                    bool expectAllow;
                    if (rest.StartsWith("allow ", StringComparison.Ordinal))
                    {
                        expectAllow = true;
                    }
                    else if (rest.StartsWith("deny ", StringComparison.Ordinal))
                    {
                        expectAllow = false;
                    }
                    else
                    {
                        throw new FormatException("expected 'test allow|deny FROM -> TARGET:PORT/PROTO [at TIME]'");
                    }

                    rest = rest[(expectAllow ? 6 : 5)..];
                    long? at = null;
                    var atIndex = rest.IndexOf(" at ", StringComparison.Ordinal);
                    if (atIndex >= 0)
                    {
                        var timeText = rest[(atIndex + 4)..].Trim();
                        if (!DateTimeOffset.TryParse(timeText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
                        {
                            throw new FormatException($"'{timeText}' is not an RFC 3339 time like 2030-01-01T00:00:00Z");
                        }

                        at = time.ToUnixTimeMilliseconds();
                        rest = rest[..atIndex];
                    }

                    var (from, to, port, proto) = ParseFlow(rest);
                    tests.Add(new PolicyTest(lineNo, line, expectAllow, from, to, port, proto, at));
                }
                else
                {
                    throw new FormatException("expected a 'rule ...' or 'test ...' line (or a # comment)");
                }
            }
            catch (FormatException ex)
            {
                errors.Add(new PolicyError(lineNo, ex.Message));
            }
        }

        return new PolicyDocument(text, rules, tests);
    }

    private static string StripComment(string line)
    {
        var hash = line.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? line : line[..hash];
    }

    /// <summary>Parses <c>FROM -> TARGET:PORT/PROTO</c> with the shared grammar.</summary>
    public static (Subject From, Subject To, int Port, PortProtocol Protocol) ParseFlow(string text)
    {
        var parts = text.Split("->", StringSplitOptions.TrimEntries);
        if (parts.Length != 2)
        {
            throw new FormatException("expected 'FROM -> TARGET:PORT/PROTO'");
        }

        if (!Subject.TryParse(parts[0], out var from, out var error))
        {
            throw new FormatException($"'{parts[0]}': {error}");
        }

        if (!PortTarget.TryParse(parts[1], out var to, out error))
        {
            throw new FormatException($"'{parts[1]}': {error}");
        }

        return (from, to.Target, to.Port, to.Protocol);
    }
}
