using System.Globalization;

namespace MeshPorts.Contracts.Time;

/// <summary>
/// Times as people and parsers read them, in every program: RFC 3339 UTC with 'Z'
/// (<c>2026-11-29T06:00:00Z</c>), not .NET's default "+00:00" with 7-digit fractions.
/// </summary>
public static class UtcTime
{
    /// <summary>To the second, for text a person reads.</summary>
    public static string Format(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Machine output keeps milliseconds when there are any: a grant ends at its millisecond, and
    /// scripts that measure enforcement against an end time need it.
    /// </summary>
    public static string FormatPrecise(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return utc.Millisecond == 0
            ? Format(utc)
            : utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>Reads any ISO 8601 time with an offset (also the older "+00:00" form) as UTC.</summary>
    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();
}
