using MeshPorts.Node.Filter;
using static MeshPorts.Node.Tests.Filter.FilterHarness;

namespace MeshPorts.Node.Tests.Filter;

/// <summary>meshports_node_grant_ends_enforced_total: each rule or grant end counted once, however it is seen.</summary>
public sealed class PacketFilterEndsEnforcedTests
{
    private const ushort Db = 5432;

    [Fact]
    public void Expiry_IsCountedOnceByTheSweep_EvenWithNoFlow()
    {
        var h = new FilterHarness();
        var end = Start.AddSeconds(30);
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, end), Rule("r1", Ci, Db)]);

        h.Time.SetUtcNow(end.AddMilliseconds(-100));
        h.Filter.Sweep();
        Assert.Equal(0, h.Filter.Counters.EndsEnforced);

        h.Time.SetUtcNow(end.AddMilliseconds(100));
        h.Filter.Sweep();
        h.Time.Advance(TimeSpan.FromSeconds(5));
        h.Filter.Sweep();
        Assert.Equal(1, h.Filter.Counters.EndsEnforced);

        // Removing the already-expired grant later is the same end, not a second one.
        h.Filter.ReplaceRules([Rule("r1", Ci, Db)]);
        Assert.Equal(1, h.Filter.Counters.EndsEnforced);
    }

    [Fact]
    public void Revocation_IsCountedOnce_AKeptRuleIsNot()
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, Start.AddHours(1)), Rule("r1", Ci, Db)]);

        h.Filter.ReplaceRules([Rule("r1", Ci, Db)]);
        h.Filter.ReplaceRules([Rule("r1", Ci, Db)]);
        h.Filter.Sweep();

        Assert.Equal(1, h.Filter.Counters.EndsEnforced);
    }
}
