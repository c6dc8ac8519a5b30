using System.Globalization;

namespace MeshPorts.Coordinator.Cli;

/// <summary>PRODUCT.md durations: <c>90s</c>, <c>10m</c>, <c>1h</c>, <c>24h</c>, <c>2d</c>.</summary>
internal static class DurationText
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrEmpty(text) || text.Length < 2)
        {
            return false;
        }

        if (!long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        value = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => TimeSpan.MinValue,
        };
        return value != TimeSpan.MinValue;
    }

    public static string Format(TimeSpan value) =>
        value.TotalSeconds % 3600 == 0 ? FormattableString.Invariant($"{(long)value.TotalHours}h")
        : value.TotalSeconds % 60 == 0 ? FormattableString.Invariant($"{(long)value.TotalMinutes}m")
        : FormattableString.Invariant($"{(long)value.TotalSeconds}s");
}
