using MeshPorts.Node.Discovery;

namespace MeshPorts.Node.Tests.Discovery;

public sealed class ReportScheduleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly ReportedState A = new(["192.0.2.1:51820"], null);
    private static readonly ReportedState B = new(["192.0.2.1:51820", "203.0.113.5:40001"], null);
    private static readonly ReportedState C = new(["203.0.113.9:40001"], null);

    private static DateTimeOffset At(double seconds) => T0 + TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Decide_FirstReport_GoesAtOnce()
    {
        var schedule = new ReportSchedule();

        Assert.True(schedule.Decide(A, T0).Send);
    }

    [Fact]
    public void Decide_Unchanged_WaitsAMinuteThenRepeats()
    {
        var schedule = new ReportSchedule();
        schedule.Sent(A, T0);

        Assert.Equal((false, At(60)), schedule.Decide(new ReportedState(["192.0.2.1:51820"], null), At(30)));
        Assert.False(schedule.Decide(A, At(59.9)).Send);
        Assert.True(schedule.Decide(A, At(60)).Send);
    }

    [Fact]
    public void Decide_Change_GoesOnceItHeldForOneSecond()
    {
        var schedule = new ReportSchedule();
        schedule.Sent(A, T0);

        Assert.Equal((false, At(11)), schedule.Decide(B, At(10)));
        Assert.False(schedule.Decide(B, At(10.9)).Send);
        Assert.True(schedule.Decide(B, At(11)).Send);
    }

    [Fact]
    public void Decide_HomeRelayChange_IsAChange()
    {
        var schedule = new ReportSchedule();
        schedule.Sent(A, T0);

        Assert.Equal((false, At(11)), schedule.Decide(A with { HomeRelay = "coordinator" }, At(10)));
    }

    [Fact]
    public void Decide_WhateverChanges_NeverTwoReportsWithinASecond()
    {
        var schedule = new ReportSchedule();
        var states = new[] { A, B, C };
        var random = new Random(7);
        var sends = new List<DateTimeOffset>();
        var state = A;
        for (var tick = 0; tick < 600; tick++)
        {
            var now = At(tick * 0.1);
            if (random.Next(4) == 0)
            {
                state = states[random.Next(states.Length)];
            }

            if (schedule.Decide(state, now).Send)
            {
                schedule.Sent(state, now);
                sends.Add(now);
            }
        }

        Assert.True(sends.Count > 5);
        Assert.All(sends.Zip(sends.Skip(1)), pair => Assert.True(pair.Second - pair.First >= ReportSchedule.Debounce, $"{pair.First:ss.f} then {pair.Second:ss.f}"));
    }

    [Fact]
    public void Decide_AnotherChangeWithinTheSecond_StartsTheSecondAgain()
    {
        var schedule = new ReportSchedule();
        schedule.Sent(A, T0);

        schedule.Decide(B, At(10));
        Assert.Equal((false, At(11.5)), schedule.Decide(C, At(10.5)));
        Assert.False(schedule.Decide(C, At(11.2)).Send);
        Assert.True(schedule.Decide(C, At(11.5)).Send);
    }

    [Fact]
    public void Decide_ChangeThatGoesBack_SendsNothing()
    {
        var schedule = new ReportSchedule();
        schedule.Sent(A, T0);

        schedule.Decide(B, At(10));
        Assert.Equal((false, At(60)), schedule.Decide(A, At(10.5)));
    }

    [Fact]
    public void Decide_FlappingEveryHalfSecond_StillReportsWithinFiveSeconds()
    {
        var schedule = new ReportSchedule();
        schedule.Sent(A, T0);

        var sentAt = -1.0;
        for (var t = 10.0; t < 20 && sentAt < 0; t += 0.5)
        {
            if (schedule.Decide(((int)(t * 2) % 2 == 0) ? B : C, At(t)).Send)
            {
                sentAt = t;
            }
        }

        Assert.Equal(15, sentAt);
    }

    [Fact]
    public void Failed_BacksOffDoublingToAMinute_AndASuccessResetsIt()
    {
        var schedule = new ReportSchedule();

        Assert.Equal(
            [1, 2, 4, 8, 16, 32, 60, 60],
            Enumerable.Range(0, 8).Select(_ => (int)schedule.Failed(T0).TotalSeconds));
        Assert.Equal(8, schedule.Failures);
        Assert.False(schedule.Decide(A, At(59)).Send);
        Assert.True(schedule.Decide(A, At(60)).Send);

        schedule.Sent(A, At(60));
        Assert.Equal(0, schedule.Failures);
        Assert.Equal(TimeSpan.FromSeconds(1), schedule.Failed(At(61)));
    }
}
