using System.Globalization;
using System.Text;

namespace MeshPorts.Contracts.Grammar;

/// <summary>
/// Durations as the product contract writes them: <c>90s</c>, <c>10m</c>, <c>1h</c>, <c>24h</c>, <c>2d</c>,
/// <c>500ms</c>, and compounds such as <c>1h30m</c> (Go's time.ParseDuration, which ops already type for other
/// tools). Lower-case units only, no signs, fractions or inner spaces; at most 366 days, since nothing in
/// MeshPorts lives longer than a year and the bound keeps the arithmetic far from overflow. Each caller
/// adds its own range (a grant's cap, a rotation wait's ten minutes).
/// </summary>
public static class DurationText
{
    public static readonly TimeSpan Max = TimeSpan.FromDays(366);

    /// <summary>The accepted forms, for error messages.</summary>
    public const string Forms = "90s, 10m, 1h, 24h or 1h30m (at most 366d)";

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var span = (text ?? "").AsSpan().Trim();
        if (span.IsEmpty)
        {
            return false;
        }

        var total = TimeSpan.Zero;
        var i = 0;
        while (i < span.Length)
        {
            var start = i;
            while (i < span.Length && char.IsAsciiDigit(span[i]))
            {
                i++;
            }

            if (i == start || i - start > 9 || i == span.Length)
            {
                return false;
            }

            var number = long.Parse(span[start..i], NumberStyles.None, CultureInfo.InvariantCulture);
            TimeSpan unit;
            if (span[i] == 'm' && i + 1 < span.Length && span[i + 1] == 's')
            {
                unit = TimeSpan.FromMilliseconds(1);
                i++;
            }
            else
            {
                unit = span[i] switch
                {
                    's' => TimeSpan.FromSeconds(1),
                    'm' => TimeSpan.FromMinutes(1),
                    'h' => TimeSpan.FromHours(1),
                    'd' => TimeSpan.FromDays(1),
                    _ => TimeSpan.Zero,
                };
                if (unit == TimeSpan.Zero)
                {
                    return false;
                }
            }

            i++;

            // Compared before multiplying: 999999999d would overflow TimeSpan, which throws.
            if (number > (Max - total).Ticks / unit.Ticks)
            {
                return false;
            }

            total += unit * number;
        }

        duration = total;
        return true;
    }

    /// <summary>The shortest compound spelling (hours, minutes, seconds, milliseconds), which parses back.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return "0s";
        }

        var text = new StringBuilder();
        var ms = (long)duration.TotalMilliseconds;
        Append(text, ms / 3_600_000, "h");
        Append(text, ms % 3_600_000 / 60_000, "m");
        Append(text, ms % 60_000 / 1000, "s");
        Append(text, ms % 1000, "ms");
        return text.Length == 0 ? "0s" : text.ToString();
    }

    private static void Append(StringBuilder text, long count, string unit)
    {
        if (count > 0)
        {
            text.Append(count.ToString(CultureInfo.InvariantCulture)).Append(unit);
        }
    }

    /// <summary>
    /// A duration for people reading a log: <c>9.2s</c>, <c>30s</c>, <c>2m30s</c>. Under a minute one
    /// decimal, whole seconds above, never TimeSpan's <c>00:00:09.2098062</c>.
    /// </summary>
    public static string FormatApproximate(TimeSpan duration)
    {
        if (duration < TimeSpan.FromMinutes(1))
        {
            var tenths = Math.Round(Math.Max(0, duration.TotalSeconds), 1, MidpointRounding.AwayFromZero);
            return tenths.ToString("0.#", CultureInfo.InvariantCulture) + "s";
        }

        return Format(TimeSpan.FromSeconds(Math.Round(duration.TotalSeconds)));
    }
}
