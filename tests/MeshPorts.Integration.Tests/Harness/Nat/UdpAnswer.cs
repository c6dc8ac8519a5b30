using System.Globalization;

namespace MeshPorts.Integration.Tests.Harness.Nat;

/// <summary>What a "seen" server answered one UDP ask: the source it saw, or nothing (null) when no answer came.</summary>
internal sealed record UdpAnswer(string Destination, string? SeenAddress, int? SeenPort)
{
    public bool Answered => SeenAddress is not null;

    /// <summary>The "reply DEST seen IP PORT" and "noreply DEST" lines of the ask probe, in order.</summary>
    public static IReadOnlyList<UdpAnswer> ParseAll(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(TryParse).OfType<UdpAnswer>()];

    public static UdpAnswer? TryParse(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) switch
    {
        ["reply", var dest, "seen", var address, var port]
            when int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) => new UdpAnswer(dest, address, p),
        ["noreply", var dest] => new UdpAnswer(dest, null, null),
        _ => null,
    };

    public override string ToString() => Answered ? string.Create(CultureInfo.InvariantCulture, $"{Destination} saw {SeenAddress}:{SeenPort}") : $"{Destination}: no answer";
}
