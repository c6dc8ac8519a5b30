using Google.Protobuf.WellKnownTypes;
using MeshPorts.Contracts.Node;

namespace MeshPorts.Node.Tests.Agent;

/// <summary>The coordinator's heartbeats tell the node how far its wall clock is off, within the skew bound.</summary>
public sealed class HeartbeatClockTests
{
    private static WatchEvent Heartbeat(DateTimeOffset serverTime) =>
        new() { Heartbeat = new Heartbeat { ServerTime = Timestamp.FromDateTimeOffset(serverTime) } };

    private static async Task<TimeSpan> OffsetOnceAsync(AgentHarness h, Func<TimeSpan, bool> arrived)
    {
        var deadline = DateTime.UtcNow + FakeCoordinatorLink.Wait;
        while (!arrived(h.Device.Clock.Offset) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        return h.Device.Clock.Offset;
    }

    [Fact]
    public async Task Heartbeat_SetsTheClockOffset_BoundedByTheSkewBound()
    {
        await using var h = new AgentHarness();
        h.Start();
        var watch = await h.Link.NextWatchAsync("first connect");

        watch.Send(Heartbeat(DateTimeOffset.UtcNow.AddSeconds(30)));
        var offset = await OffsetOnceAsync(h, o => o > TimeSpan.FromSeconds(20));
        Assert.InRange(offset, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(31));

        watch.Send(Heartbeat(DateTimeOffset.UtcNow.AddHours(-2)));
        offset = await OffsetOnceAsync(h, o => o < TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(-60), offset);
    }
}
