using System.Globalization;

namespace MeshPorts.Contracts.Grammar;

/// <summary>Port numbers: 1 to 65535 (0 is not a port anything can listen on).</summary>
public static class Ports
{
    public const string Rule = "a number from 1 to 65535";

    public static bool IsValid(long port) => port is >= 1 and <= 65535;

    /// <summary>Reads a port written in decimal digits only (no sign, no spaces).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && IsValid(port);
}
