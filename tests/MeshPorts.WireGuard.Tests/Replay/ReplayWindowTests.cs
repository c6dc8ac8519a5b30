using MeshPorts.WireGuard.Replay;

namespace MeshPorts.WireGuard.Tests.Replay;

/// <summary>The table follows the Linux kernel's counter self-test (drivers/net/wireguard/selftest/counter.c).</summary>
public class ReplayWindowTests
{
    private const ulong Window = ReplayWindow.WindowSize;
    private const ulong Lim = Window + 1;
    private const ulong Reject = Constants.RejectAfterMessages;

    [Fact]
    public void WindowSize_IsAtLeast8128()
    {
        Assert.True(ReplayWindow.WindowSize >= 8128);
    }

    [Fact]
    public void Sequence_FromKernelSelfTest_GivesExpectedVerdicts()
    {
        (ulong Counter, bool Accepted)[] steps =
        [
            (0, true), (1, true), (1, false), (9, true), (8, true), (7, true), (7, false),
            (Lim, true), (Lim - 1, true), (Lim - 1, false), (Lim - 2, true), (2, true), (2, false),
            (Lim + 16, true), (3, false), (Lim + 16, false), (Lim * 4, true), (Lim * 4 - (Lim - 1), true),
            (10, false), (Lim * 4 - Lim, false), (Lim * 4 - (Lim + 1), false), (Lim * 4 - (Lim - 2), true),
            (Lim * 4 + 1 - Lim, false), (0, false),
            (Reject, false), (Reject - 1, true), (Reject, false), (Reject - 1, false), (Reject - 2, true),
            (Reject + 1, false), (Reject + 2, false), (Reject - 2, false), (Reject - 3, true), (0, false),
        ];

        var window = new ReplayWindow();
        for (var i = 0; i < steps.Length; i++)
        {
            var (counter, accepted) = steps[i];
            Assert.True(window.Validate(counter, Reject) == accepted, $"step {i}: counter {counter} expected {(accepted ? "accept" : "reject")}");
        }
    }

    [Fact]
    public void InOrder_FullWindow_ThenZeroAtTheEdge_IsAcceptedOnce()
    {
        var window = new ReplayWindow();
        for (ulong i = 1; i <= Window; i++)
        {
            Assert.True(window.Validate(i, Reject), $"counter {i}");
        }

        Assert.True(window.Validate(0, Reject));
        Assert.False(window.Validate(0, Reject));
    }

    [Fact]
    public void CounterOneBeyondTheWindow_IsRejected()
    {
        var window = new ReplayWindow();
        for (ulong i = 2; i <= Window + 1; i++)
        {
            Assert.True(window.Validate(i, Reject), $"counter {i}");
        }

        Assert.True(window.Validate(1, Reject));
        Assert.False(window.Validate(0, Reject));
    }

    [Fact]
    public void ReverseOrder_WithinWindow_IsAllAccepted()
    {
        var window = new ReplayWindow();
        for (var i = Window + 1; i-- > 0;)
        {
            Assert.True(window.Validate(i, Reject), $"counter {i}");
        }
    }

    [Fact]
    public void ReverseOrder_ThenJustOutside_IsRejected()
    {
        var window = new ReplayWindow();
        for (var i = Window + 2; i-- > 1;)
        {
            Assert.True(window.Validate(i, Reject), $"counter {i}");
        }

        Assert.False(window.Validate(0, Reject));
    }

    [Fact]
    public void ReverseOrder_ThenNewest_ThenOldest()
    {
        var window = new ReplayWindow();
        for (var i = Window + 1; i-- > 1;)
        {
            Assert.True(window.Validate(i, Reject), $"counter {i}");
        }

        Assert.True(window.Validate(Window + 1, Reject));
        Assert.False(window.Validate(0, Reject));

        window.Reset();
        for (var i = Window + 1; i-- > 1;)
        {
            Assert.True(window.Validate(i, Reject), $"counter {i}");
        }

        Assert.True(window.Validate(0, Reject));
        Assert.True(window.Validate(Window + 1, Reject));
    }

    [Fact]
    public void HugeJump_ClearsOldBits_SoOldCountersAreNotMistakenForSeen()
    {
        var window = new ReplayWindow();
        Assert.True(window.Validate(5, Reject));
        Assert.True(window.Validate(5 + (Window * 10), Reject));

        // Counter 5 + 64*k lands in the same ring slot as 5 did; it must not read as a duplicate.
        var sameSlot = 5 + (Window * 10) - 64;
        Assert.True(window.Validate(sameSlot, Reject));
        Assert.False(window.Validate(sameSlot, Reject));
    }
}
