using System.Net;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Tests.Filter;
using MeshPorts.Node.Tests.Mesh;
using static MeshPorts.Node.Tests.Filter.FilterHarness;
using static MeshPorts.Node.Tests.Filter.FilterPackets;

namespace MeshPorts.Node.Tests.Coordinator;

/// <summary>
/// Grants and peers end when the coordinator said, measured on the monotonic clock from when the end
/// arrived: a wall clock stepped back (while the coordinator is away, so nothing corrects it) does not
/// extend them, and one stepped forward does not end them early.
/// </summary>
public class MonotonicDeadlineTests
{
    private const ushort Db = 5432;

    private static (SteppableTimeProvider Time, PacketFilter Filter) Filter()
    {
        var time = new SteppableTimeProvider(Start);
        return (time, new PacketFilter(time, [IPAddress.Parse(Local4)]));
    }

    private static FilterVerdict Syn(PacketFilter filter, ushort clientPort) =>
        filter.Inbound(Laptop, Tcp(Remote4, clientPort, Local4, Db, 1, 0, FilterPackets.Syn), new byte[PacketFilter.ResetBufferSize], new byte[PacketFilter.ResetBufferSize]);

    [Fact]
    public void Grant_WhenTheWallClockStepsBackAnHour_StillEndsOnTime()
    {
        var (time, filter) = Filter();
        filter.ReplaceRules([Grant("g1", Laptop, Db, Start.AddMinutes(30))]);
        Assert.True(Syn(filter, 40000).IsAllowed);

        time.StepWall(TimeSpan.FromHours(-1));
        time.Advance(TimeSpan.FromMinutes(30));

        var cuts = filter.Sweep();
        Assert.Equal(FilterReason.Expired, Assert.Single(cuts).Reason);
        Assert.Equal(FilterReason.NotAllowed, Syn(filter, 40001).Reason);
        Assert.False(filter.HasActiveRule(Laptop));
    }

    [Fact]
    public void Grant_WhenTheWallClockStepsForward_DoesNotEndEarly()
    {
        var (time, filter) = Filter();
        filter.ReplaceRules([Grant("g1", Laptop, Db, Start.AddMinutes(30))]);

        time.StepWall(TimeSpan.FromHours(1));
        time.Advance(TimeSpan.FromMinutes(29));

        Assert.Empty(filter.Sweep());
        Assert.True(Syn(filter, 40000).IsAllowed);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(FilterReason.Expired, Assert.Single(filter.Sweep()).Reason);
    }

    [Fact]
    public void Grant_ReappliedUnchangedAfterTheWallClockStepsBack_KeepsItsDeadline()
    {
        var (time, filter) = Filter();
        var grant = Grant("g1", Laptop, Db, Start.AddMinutes(30));
        filter.ReplaceRules([grant]);

        time.StepWall(TimeSpan.FromHours(-1));
        filter.ReplaceRules([grant]);
        time.Advance(TimeSpan.FromMinutes(30));

        Assert.Equal(FilterReason.NotAllowed, Syn(filter, 40000).Reason);
    }

    [Fact]
    public void Grant_ExtendedByTheCoordinator_TakesTheNewEnd()
    {
        var (time, filter) = Filter();
        filter.ReplaceRules([Grant("g1", Laptop, Db, Start.AddMinutes(30))]);
        time.Advance(TimeSpan.FromMinutes(10));

        filter.ReplaceRules([Grant("g1", Laptop, Db, Start.AddMinutes(60))]);
        time.Advance(TimeSpan.FromMinutes(30));

        Assert.True(Syn(filter, 40000).IsAllowed);
    }

    [Fact]
    public void Peer_WhenTheWallClockStepsBackAnHour_IsStillRemovedOnTime()
    {
        var time = new SteppableTimeProvider(Start);
        using var pair = new MeshPair(time);
        pair.Connect(Start.AddSeconds(60), MeshPair.GrantLaptop(Db, Start.AddHours(2)));

        time.StepWall(TimeSpan.FromHours(-1));
        time.Advance(TimeSpan.FromSeconds(61));

        var deadline = DateTime.UtcNow + MeshPair.Wait;
        while (pair.Db.MeshPeers().Count > 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        Assert.Empty(pair.Db.MeshPeers());
        Assert.Empty(pair.Db.Engine.GetPeers());
    }
}
