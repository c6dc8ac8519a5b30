using System.Globalization;

namespace MeshPorts.Node.Cli;

/// <summary>Durations as PRODUCT.md writes them: 90s, 10m, 1h, 24h (also 500ms).</summary>
internal static class DurationText
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        var (digits, unit) = text.EndsWith("ms", StringComparison.Ordinal)
            ? (text[..^2], TimeSpan.FromMilliseconds(1))
            : (text[..^1], text[^1] switch
            {
                's' => TimeSpan.FromSeconds(1),
                'm' => TimeSpan.FromMinutes(1),
                'h' => TimeSpan.FromHours(1),
                _ => TimeSpan.Zero,
            });
        if (unit == TimeSpan.Zero || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > 1_000_000)
        {
            return false;
        }

        value = unit * count;
        return true;
    }
}
