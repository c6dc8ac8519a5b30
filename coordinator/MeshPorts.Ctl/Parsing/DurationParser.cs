using System.Globalization;
using MeshPorts.Ctl.Cli;

namespace MeshPorts.Ctl.Parsing;

/// <summary>
/// Durations as PRODUCT.md writes them: <c>90s</c>, <c>10m</c>, <c>1h</c>, <c>24h</c>, also <c>2d</c> and
/// compounds such as <c>1h30m</c> (Go's time.ParseDuration, which ops already type for other tools).
/// </summary>
internal static class DurationParser
{
    // Nothing in MeshPorts lives longer than a year; the bound also keeps the arithmetic far from overflow.
    private static readonly TimeSpan s_max = TimeSpan.FromDays(366);

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var total = TimeSpan.Zero;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start || i - start > 9 || i == text.Length)
            {
                return false;
            }

            var number = long.Parse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture);
            TimeSpan part;
            switch (text[i])
            {
                case 's':
                    part = TimeSpan.FromSeconds(number);
                    break;
                case 'm':
                    part = TimeSpan.FromMinutes(number);
                    break;
                case 'h':
                    part = TimeSpan.FromHours(number);
                    break;
                case 'd':
                    part = TimeSpan.FromDays(number);
                    break;
                default:
                    return false;
            }

            i++;
            total += part;
            if (total > s_max)
            {
                return false;
            }
        }

        duration = total;
        return true;
    }

    /// <summary>Parses a positive duration or throws a usage error that shows the accepted forms.</summary>
    public static TimeSpan ParseOption(string option, string text)
    {
        if (!TryParse(text, out var duration))
        {
            throw new UsageException(
                $"{option} '{text}' is not a duration; write it as 90s, 10m, 1h, 24h or 1h30m (at most 366d)");
        }

        if (duration <= TimeSpan.Zero)
        {
            throw new UsageException($"{option} must be longer than zero, e.g. '{option} 1h'");
        }

        return duration;
    }

    /// <summary>The shortest of the accepted spellings, so output can be pasted back into a command.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return "0s";
        }

        var parts = new System.Text.StringBuilder();
        var seconds = (long)duration.TotalSeconds;
        var hours = seconds / 3600;
        var minutes = seconds % 3600 / 60;
        var rest = seconds % 60;
        if (hours > 0)
        {
            parts.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        }

        if (minutes > 0)
        {
            parts.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        if (rest > 0 || parts.Length == 0)
        {
            parts.Append(rest.ToString(CultureInfo.InvariantCulture)).Append('s');
        }

        return parts.ToString();
    }
}
