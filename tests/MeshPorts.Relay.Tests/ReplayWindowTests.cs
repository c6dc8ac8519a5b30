using MeshPorts.Contracts.Relay;
namespace MeshPorts.Relay.Tests;

public sealed class ReplayWindowTests
{
    [Fact]
    public void Window_AcceptsEachCounterOnce_OutOfOrderWithin2048_AndNothingOlder()
    {
        var window = new RelayReplayWindow();
        Assert.False(window.Accept(0));
        Assert.True(window.Accept(1));
        Assert.False(window.Accept(1));
        Assert.True(window.Accept(5000));
        Assert.True(window.Accept(5000 - 2047));
        Assert.False(window.Accept(5000 - 2047));
        Assert.False(window.Accept(5000 - 2048));
        Assert.False(window.Accept(2));
        Assert.True(window.Accept(4999));
        Assert.True(window.Accept(ulong.MaxValue));
        Assert.False(window.Accept(5001));
    }

    [Fact]
    public void Window_AfterSliding_ForgetsOldBitsOnlyOutsideTheWindow()
    {
        var window = new RelayReplayWindow();
        for (ulong c = 1; c <= 10_000; c++)
        {
            Assert.True(window.Accept(c));
        }

        for (ulong c = 10_000 - 2047; c <= 10_000; c++)
        {
            Assert.False(window.Accept(c));
        }

        Assert.True(window.Accept(10_064));
        Assert.True(window.Accept(10_001));
        Assert.False(window.Accept(10_064 - 2048));
    }
}
