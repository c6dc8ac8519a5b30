using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Node.Tests.Discovery;

/// <summary>Moves a fake clock in small steps, giving the loops under test a moment of real time after each.</summary>
internal static class FakeTime
{
    /// <summary>How much fake time passed until <paramref name="condition"/> held; fails the test after <paramref name="max"/>.</summary>
    public static async Task<TimeSpan> AdvanceUntilAsync(this FakeTimeProvider time, Func<bool> condition, TimeSpan max, TimeSpan step, string what)
    {
        var passed = TimeSpan.Zero;
        while (true)
        {
            for (var i = 0; i < 20 && !condition(); i++)
            {
                await Task.Delay(2);
            }

            if (condition())
            {
                return passed;
            }

            if (passed >= max)
            {
                throw new Xunit.Sdk.XunitException($"{what}: not within {max.TotalSeconds} s of fake time");
            }

            time.Advance(step);
            passed += step;
        }
    }

    public static async Task AdvanceAsync(this FakeTimeProvider time, TimeSpan total, TimeSpan step)
    {
        for (var passed = TimeSpan.Zero; passed < total; passed += step)
        {
            time.Advance(step);
            await Task.Delay(3);
        }
    }
}
