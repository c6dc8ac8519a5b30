using System.Buffers.Binary;

namespace MeshPorts.WireGuard.Crypto;

/// <summary>
/// TAI64N timestamps (cr.yp.to/libtai/tai64.html) as carried in handshake initiations: 8 bytes big-endian
/// seconds offset by 2^62 (+10 for the TAI-UTC offset, as the kernel and wireguard-go write it) and 4
/// bytes big-endian nanoseconds. Big-endian makes "strictly newer" a plain byte comparison.
/// </summary>
internal static class Tai64N
{
    public const int Size = 12;

    private const ulong Base = 0x400000000000000aUL;

    // Nanoseconds are rounded down to 2^24 ns (~16.8 ms) so the timestamp does not leak a precise clock
    // (wireguard-go's whitener; the kernel rounds to its initiation rate the same way).
    private const uint WhitenerMask = 0x1000000 - 1;

    public static void Write(DateTimeOffset utc, Span<byte> destination)
    {
        var unixSeconds = utc.ToUnixTimeSeconds();
        var nanos = (uint)((utc.UtcTicks % TimeSpan.TicksPerSecond) * 100) & ~WhitenerMask;
        BinaryPrimitives.WriteUInt64BigEndian(destination, Base + (ulong)unixSeconds);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], nanos);
    }

    /// <summary>True if <paramref name="candidate"/> is strictly after <paramref name="previous"/>.</summary>
    public static bool IsAfter(ReadOnlySpan<byte> candidate, ReadOnlySpan<byte> previous) =>
        candidate[..Size].SequenceCompareTo(previous[..Size]) > 0;
}
