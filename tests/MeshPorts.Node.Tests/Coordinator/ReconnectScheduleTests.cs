using MeshPorts.Node.Coordinator;

namespace MeshPorts.Node.Tests.Coordinator;

/// <summary>docs/node.md's reconnect rule: full jitter under a few seconds while nothing answers, the doubling backoff after an answer.</summary>
public sealed class ReconnectScheduleTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly CoordinatorException Refused = new(CoordinatorErrorKind.Unreachable, "connection refused", connectFailed: true);
    private static readonly CoordinatorException Answered = new(CoordinatorErrorKind.Other, "resource exhausted");

    [Fact]
    public void ConnectFailures_HoweverMany_NeverWaitPastTheOutageCeiling()
    {
        var schedule = new ReconnectSchedule(Second, TimeSpan.FromSeconds(30), ReconnectSchedule.DefaultOutageMax, new Random(7).NextDouble);

        var delays = Enumerable.Range(0, 200).Select(_ => schedule.Next(Refused)).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(3)));
        Assert.Equal(TimeSpan.FromSeconds(3), ReconnectSchedule.DefaultOutageMax);
    }

    [Theory]
    [InlineData(0.0, 3000)]
    [InlineData(0.5, 1500)]
    [InlineData(0.99, 30)]
    public void ConnectFailures_AtTheCeiling_AreFullyJittered(double draw, double expectedMs)
    {
        var schedule = new ReconnectSchedule(Second, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3), () => draw);
        for (var i = 0; i < 5; i++)
        {
            schedule.Next(Refused);
        }

        Assert.Equal(expectedMs, schedule.Next(Refused).TotalMilliseconds, precision: 6);
    }

    [Fact]
    public void ConnectFailures_OfAFleet_SpreadOverTheWholeWindow()
    {
        // 1,000 nodes at the ceiling: every quarter of the window gets about a quarter of them, none a stampede.
        var random = new Random(42);
        var quarters = new int[4];
        for (var node = 0; node < 1000; node++)
        {
            var schedule = new ReconnectSchedule(Second, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3), random.NextDouble);
            TimeSpan delay = default;
            for (var i = 0; i < 6; i++)
            {
                delay = schedule.Next(Refused);
            }

            quarters[Math.Min(3, (int)(delay.TotalSeconds / 0.75))]++;
        }

        Assert.All(quarters, n => Assert.InRange(n, 200, 300));
    }

    [Fact]
    public void AnsweredFailures_DoubleToTheLongCeiling()
    {
        var schedule = new ReconnectSchedule(Second, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3), () => 0);

        var delays = Enumerable.Range(0, 7).Select(_ => schedule.Next(Answered).TotalSeconds).ToList();

        Assert.Equal([1, 2, 4, 8, 16, 30, 30], delays);

        // The two count apart: a refused connection after answered failures starts its own schedule.
        Assert.Equal(Second, schedule.Next(Refused));
    }

    [Fact]
    public void Reset_StartsBothOver()
    {
        var schedule = new ReconnectSchedule(Second, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3), () => 0);
        for (var i = 0; i < 5; i++)
        {
            schedule.Next(Answered);
            schedule.Next(Refused);
        }

        schedule.Reset();

        Assert.Equal(Second, schedule.Next(Answered));
        Assert.Equal(Second, schedule.Next(Refused));
    }
}
