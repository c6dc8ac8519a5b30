using MeshPorts.Contracts.Relay;
using MeshPorts.Node.Relay;

namespace MeshPorts.Node.Tests.Relay;

public sealed class RelayReplayWindowTests
{
    [Fact]
    public void Counter_IsTakenOnce_InAnyOrderWithinTheWindow()
    {
        var window = new RelayReplayWindow();

        Assert.True(window.Accept(5));
        Assert.True(window.Accept(3));
        Assert.False(window.Accept(5));
        Assert.False(window.Accept(3));
        Assert.True(window.Accept(4));
        Assert.False(window.Accept(0));
    }

    [Fact]
    public void Counter_2048BehindTheHighest_IsRefused_2047IsTaken()
    {
        var window = new RelayReplayWindow();
        Assert.True(window.Accept(3000));

        Assert.False(window.Accept(3000 - 2048));
        Assert.True(window.Accept(3000 - 2047));
    }

    [Fact]
    public void Jump_BeyondTheWindow_ForgetsOldBits_SoReusedSlotsAreFresh()
    {
        var window = new RelayReplayWindow();
        Assert.True(window.Accept(10));
        Assert.True(window.Accept(10 + 2048));

        // Same slot as 10, a different counter: taken; 10 itself is now too old.
        Assert.False(window.Accept(10));
        Assert.True(window.Accept(10 + 2048 + 2048));
        Assert.True(window.Accept(10 + 2048 + 1));
        Assert.False(window.Accept(10 + 2048 + 1));
    }
}
