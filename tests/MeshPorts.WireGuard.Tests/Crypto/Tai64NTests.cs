using MeshPorts.WireGuard.Crypto;

namespace MeshPorts.WireGuard.Tests.Crypto;

public class Tai64NTests
{
    [Fact]
    public void Write_EncodesSecondsFromTai64EpochBigEndian()
    {
        var stamp = new byte[12];
        Tai64N.Write(DateTimeOffset.FromUnixTimeSeconds(1), stamp);
        Assert.Equal("400000000000000b00000000", Convert.ToHexStringLower(stamp));
    }

    [Fact]
    public void Later_Time_IsStrictlyAfter_AndEqualIsNot()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var a = new byte[12];
        var b = new byte[12];
        var c = new byte[12];
        Tai64N.Write(t0, a);
        Tai64N.Write(t0.AddMilliseconds(50), b);
        Tai64N.Write(t0.AddMilliseconds(1), c);
        Assert.True(Tai64N.IsAfter(b, a));
        Assert.False(Tai64N.IsAfter(a, b));
        Assert.False(Tai64N.IsAfter(a, a));

        // Sub-16.8 ms precision is deliberately dropped so timestamps do not fingerprint the clock.
        Assert.False(Tai64N.IsAfter(c, a));
    }
}
