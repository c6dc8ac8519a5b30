using MeshPorts.Coordinator.Auth;

namespace MeshPorts.Coordinator.Tests.Load;

public sealed class FailureRateLimiterTests
{
    private const long Window = 60_000;

    private static FailureRateLimiter Limiter(int max = 3, int maxSources = 1000) => new(max, TimeSpan.FromMilliseconds(Window), maxSources);

    private static void Fail(FailureRateLimiter limiter, string source, long now, int times)
    {
        for (var i = 0; i < times; i++)
        {
            limiter.TryRecordFailure(source, now, out _);
        }
    }

    [Theory]
    [InlineData("2001:db8:0:1::1", "2001:db8:0:1:ffff:ffff:ffff:ffff")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    public void Failures_CountPerIpv4AddressOrIpv6Slash64(string failing, string sameSource)
    {
        var limiter = Limiter();
        Fail(limiter, failing, 0, 3);
        Assert.True(limiter.IsBlocked(sameSource, 1, out _));
    }

    [Theory]
    [InlineData("2001:db8:0:1::1", "2001:db8:0:2::1")]
    [InlineData("192.0.2.7", "192.0.2.8")]
    public void Failures_DoNotBlockANeighbouringSource(string failing, string other)
    {
        var limiter = Limiter();
        Fail(limiter, failing, 0, 3);
        Assert.True(limiter.IsBlocked(failing, 1, out _));
        Assert.False(limiter.IsBlocked(other, 1, out _));
    }

    [Fact]
    public void Block_LiftsOnceTheWindowPasses()
    {
        var limiter = Limiter();
        Fail(limiter, "192.0.2.1", 0, 3);
        Assert.True(limiter.IsBlocked("192.0.2.1", Window - 1, out _));
        Assert.False(limiter.IsBlocked("192.0.2.1", Window, out _));
    }

    [Fact]
    public void TryRecordFailure_OverBudget_IsRefusedAndSaysToLogOncePerWindow()
    {
        var limiter = Limiter();
        var results = Enumerable.Range(0, 6).Select(i => (Ok: limiter.TryRecordFailure("192.0.2.1", i, out var first), First: first)).ToList();
        Assert.Equal([true, true, true, false, false, false], results.Select(r => r.Ok));
        Assert.Equal([false, false, false, true, false, false], results.Select(r => r.First));
        Assert.True(limiter.IsBlocked("192.0.2.1", 10, out var firstAgain));
        Assert.False(firstAgain);
        Fail(limiter, "192.0.2.1", Window + 10, 3);
        Assert.True(limiter.IsBlocked("192.0.2.1", Window + 11, out var firstNextWindow));
        Assert.True(firstNextWindow);
    }

    [Fact]
    public void Sources_AreBounded_LeastRecentlyUsedEvictedFirst()
    {
        var limiter = Limiter(max: 1, maxSources: 3);
        Fail(limiter, "192.0.2.1", 0, 1);
        Fail(limiter, "192.0.2.2", 1, 1);
        Fail(limiter, "192.0.2.3", 2, 1);
        Assert.True(limiter.IsBlocked("192.0.2.1", 3, out _));
        Fail(limiter, "192.0.2.4", 4, 1);
        Assert.Equal(3, limiter.SourceCount);
        Assert.True(limiter.IsBlocked("192.0.2.1", 5, out _));
        Assert.False(limiter.IsBlocked("192.0.2.2", 5, out _));
        Assert.True(limiter.IsBlocked("192.0.2.4", 5, out _));
    }

    [Fact]
    public void IdleSources_AreForgotten()
    {
        var limiter = Limiter(max: 1);
        for (var i = 0; i < 100; i++)
        {
            Fail(limiter, "10.0.0." + i, i, 1);
        }

        for (var i = 0; i < 100; i++)
        {
            Fail(limiter, "10.1.0." + i, (3 * Window) + i, 1);
        }

        Assert.True(limiter.SourceCount <= 100, $"{limiter.SourceCount} sources remembered; the idle 100 should have been swept");
    }
}
