using System.Globalization;
using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Contracts.Time;
using MeshPorts.Ctl.Cli;

namespace MeshPorts.Ctl.Parsing;

/// <summary>Times as RFC 3339 (<c>2026-11-29T06:00:00Z</c>); all output is UTC.</summary>
internal static class TimeParser
{
    private static readonly string[] s_formats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    public static bool TryParse(string? text, out DateTimeOffset time)
    {
        time = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        // RFC 3339 section 5.6 allows a lower-case 't' and 'z'; .NET's K specifier wants them upper-case.
        var normalized = text.Trim().ToUpperInvariant();

        // An RFC 3339 time always carries its offset; without one the reader's local zone would silently decide.
        if (!normalized.EndsWith('Z') && !HasNumericOffset(normalized))
        {
            return false;
        }

        if (!DateTimeOffset.TryParseExact(normalized, s_formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return false;
        }

        time = parsed.ToUniversalTime();
        return true;
    }

    /// <summary>An absolute RFC 3339 time, or <c>now</c>.</summary>
    public static DateTimeOffset ParseAt(string option, string text, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        if (string.Equals(text, "now", StringComparison.OrdinalIgnoreCase))
        {
            return clock.GetUtcNow();
        }

        if (TryParse(text, out var time))
        {
            return time;
        }

        throw new UsageException(
            $"{option} '{text}' is not an RFC 3339 time; write it as 2026-11-29T06:00:00Z (UTC) or 'now'");
    }

    /// <summary>An RFC 3339 time, or a duration meaning "that long ago" (<c>--since 1h</c>, as journalctl and docker do).</summary>
    public static DateTimeOffset ParseSince(string option, string text, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        if (TryParse(text, out var time))
        {
            return time;
        }

        if (DurationText.TryParse(text, out var ago))
        {
            return clock.GetUtcNow() - ago;
        }

        throw new UsageException(
            $"{option} '{text}' is neither an RFC 3339 time nor a duration; write e.g. 2026-11-29T06:00:00Z or 1h (one hour ago)");
    }

    public static string Format(DateTimeOffset time) => UtcTime.Format(time);

    private static bool HasNumericOffset(string text)
    {
        // ...+HH:MM or ...-HH:MM at the end, after the 'T' so the date's dashes do not count.
        return text.Length > 6
            && text[^6] is '+' or '-'
            && text[^3] == ':'
            && text.IndexOf('T', StringComparison.Ordinal) is > 0 and var t
            && t < text.Length - 6;
    }
}
