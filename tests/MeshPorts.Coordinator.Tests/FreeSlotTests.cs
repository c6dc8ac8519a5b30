using MeshPorts.Coordinator.State.Enrollment;

namespace MeshPorts.Coordinator.Tests;

public sealed class FreeSlotTests
{
    [Fact]
    public void FirstTry_TakesTheLowestFreeNumber()
    {
        var taken = new HashSet<int> { 1, 2, 4 };
        Assert.Equal(3, FreeSlot.Pick(1, 100, taken.Contains, retry: false));
    }

    [Fact]
    public void Retry_TakesOneOfTheLowestFreeNumbersAtRandom_SoTwoRacingReplicasSpreadOut()
    {
        var taken = new HashSet<int> { 1, 2, 4 };
        var lowestFree = Enumerable.Range(1, 100).Where(i => !taken.Contains(i)).Take(FreeSlot.RetrySpread).ToHashSet();
        var picks = Enumerable.Range(0, 400).Select(_ => FreeSlot.Pick(1, 100, taken.Contains, retry: true)).ToList();
        Assert.All(picks, p => Assert.Contains(p, lowestFree));
        Assert.True(picks.Distinct().Count() >= FreeSlot.RetrySpread / 2, $"400 retries took only {string.Join(',', picks.Distinct())}");
    }

    [Fact]
    public void NothingFree_SaysSo()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => FreeSlot.Pick(1, 3, _ => true, retry: true));
        Assert.Equal("every number from 1 to 3 is taken", ex.Message);
    }
}
