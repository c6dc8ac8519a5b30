namespace MeshPorts.Relay.Tests;

public sealed class ReplayWindowTests
{
    [Fact]
    public void Window_AcceptsEachCounterOnce_OutOfOrderWithin2048_AndNothingOlder()
    {
        var window = new ReplayWindow();
        Assert.False(window.TryAccept(0));
        Assert.True(window.TryAccept(1));
        Assert.False(window.TryAccept(1));
        Assert.True(window.TryAccept(5000));
        Assert.True(window.TryAccept(5000 - 2047));
        Assert.False(window.TryAccept(5000 - 2047));
        Assert.False(window.TryAccept(5000 - 2048));
        Assert.False(window.TryAccept(2));
        Assert.True(window.TryAccept(4999));
        Assert.True(window.TryAccept(ulong.MaxValue));
        Assert.False(window.TryAccept(5001));
    }

    [Fact]
    public void Window_AfterSliding_ForgetsOldBitsOnlyOutsideTheWindow()
    {
        var window = new ReplayWindow();
        for (ulong c = 1; c <= 10_000; c++)
        {
            Assert.True(window.TryAccept(c));
        }

        for (ulong c = 10_000 - 2047; c <= 10_000; c++)
        {
            Assert.False(window.TryAccept(c));
        }

        Assert.True(window.TryAccept(10_064));
        Assert.True(window.TryAccept(10_001));
        Assert.False(window.TryAccept(10_064 - 2048));
    }
}
