using MeshPorts.Node.Coordinator;


namespace MeshPorts.Node.Tests.Coordinator;

public class CoordinatorClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 6, 0, 0, TimeSpan.Zero);

    [Fact]
    public void DeadlineTicks_IsNowPlusWhatRemainsOnTheCoordinatorsClock()
    {
        var time = new SteppableTimeProvider(Start);
        var clock = new CoordinatorClock(time);
        time.Advance(TimeSpan.FromMinutes(1));

        clock.Observe(Start.AddMinutes(1).AddSeconds(20));

        Assert.Equal(TimeSpan.FromSeconds(20), clock.Offset);
        Assert.Equal(TimeSpan.FromMinutes(1).Ticks + TimeSpan.FromSeconds(100).Ticks, clock.DeadlineTicks(Start.AddMinutes(3)));
        Assert.Equal(long.MaxValue, clock.DeadlineTicks(null));
    }

    [Fact]
    public void Observe_BoundsTheCorrectionByTheSkewBound()
    {
        var time = new SteppableTimeProvider(Start);
        var clock = new CoordinatorClock(time, TimeSpan.FromSeconds(60));

        clock.Observe(Start.AddHours(2));
        Assert.Equal(TimeSpan.FromSeconds(60), clock.Offset);
        clock.Observe(Start.AddHours(-2));
        Assert.Equal(TimeSpan.FromSeconds(-60), clock.Offset);
    }

    [Fact]
    public void DeadlineTicks_DoesNotMoveWhenTheWallClockStepsAfterwards()
    {
        var time = new SteppableTimeProvider(Start);
        var clock = new CoordinatorClock(time);
        var deadline = clock.DeadlineTicks(Start.AddMinutes(30));

        time.StepWall(TimeSpan.FromHours(-1));

        Assert.True(clock.NowTicks < deadline);
        time.Advance(TimeSpan.FromMinutes(30));
        Assert.True(clock.NowTicks >= deadline);
    }
}
