using MeshPorts.Contracts.Transport;
using Xunit;

namespace MeshPorts.Contracts.Tests.Transport;

/// <summary>The one retry schedule every client uses: doubling to a cap, jitter only ever shortening a step, reset on success.</summary>
public sealed class BackoffTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void WithoutJitter_Doubles_UpToTheCap()
    {
        var backoff = new Backoff(Second, TimeSpan.FromSeconds(30), jitter: 0);

        var delays = Enumerable.Range(0, 8).Select(_ => backoff.Next().TotalSeconds).ToArray();

        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], delays);
        Assert.Equal(8, backoff.Failures);
    }

    [Fact]
    public void ManyFailures_NeverOverflowPastTheCap()
    {
        var backoff = new Backoff(TimeSpan.FromTicks(1), TimeSpan.FromDays(1), jitter: 0);

        for (var i = 0; i < 200; i++)
        {
            Assert.InRange(backoff.Next(), TimeSpan.FromTicks(1), TimeSpan.FromDays(1));
        }

        Assert.Equal(TimeSpan.FromDays(1), backoff.Next());
    }

    [Theory]
    [InlineData(0.0, 4000)]
    [InlineData(0.5, 3500)]
    [InlineData(0.999999, 3000)]
    public void Jitter_TakesUpToAQuarterOff_NeverAddsToTheStep(double draw, double expectedMs)
    {
        var backoff = new Backoff(Second, TimeSpan.FromMinutes(1), random: () => draw);
        backoff.Next();
        backoff.Next();

        Assert.Equal(TimeSpan.FromSeconds(4), backoff.Step);
        Assert.Equal(expectedMs, backoff.Next().TotalMilliseconds, precision: 0);
    }

    [Fact]
    public void SeededRandom_StaysInRange_AndIsReproducible()
    {
        var a = new Backoff(Second, TimeSpan.FromSeconds(30), random: new Random(42).NextDouble);
        var b = new Backoff(Second, TimeSpan.FromSeconds(30), random: new Random(42).NextDouble);
        var seen = new HashSet<TimeSpan>();

        for (var i = 0; i < 50; i++)
        {
            var step = a.Step;
            var delay = a.Next();
            Assert.InRange(delay, step * 0.75, step);
            Assert.Equal(delay, b.Next());
            seen.Add(delay);
        }

        // At the cap every draw differs: the jitter really spreads clients.
        Assert.True(seen.Count > 40, $"only {seen.Count} distinct delays in 50 draws");
    }

    [Fact]
    public void Reset_StartsAgainAtTheFirstDelay()
    {
        var backoff = new Backoff(Second, TimeSpan.FromSeconds(30), jitter: 0);
        backoff.Next();
        backoff.Next();
        backoff.Next();

        backoff.Reset();

        Assert.Equal(0, backoff.Failures);
        Assert.Equal(Second, backoff.Next());
        Assert.Equal(TimeSpan.FromSeconds(2), backoff.Next());
    }

    [Fact]
    public void DefaultRandom_StaysInRange()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));

        for (var i = 0; i < 1000; i++)
        {
            Assert.InRange(backoff.Next(), TimeSpan.FromMilliseconds(75), TimeSpan.FromMilliseconds(100));
        }
    }

    [Fact]
    public void BadArguments_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(TimeSpan.Zero, Second));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(Second, TimeSpan.FromMilliseconds(500)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(Second, Second, jitter: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(Second, Second, jitter: double.NaN));
    }
}
